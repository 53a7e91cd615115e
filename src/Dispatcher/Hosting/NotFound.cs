using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dispatcher.Hosting;

/// <summary>404 with a problem-details body that says what was not found.</summary>
public static class NotFound
{
    public static NotFound<ProblemDetails> Of(string detail) =>
        TypedResults.NotFound(new ProblemDetails { Status = StatusCodes.Status404NotFound, Title = "Not found", Detail = detail });
}

using Microsoft.AspNetCore.Mvc;

namespace Dispatcher.Hosting;

/// <summary>Writes RFC 9457 problem details outside an endpoint (authentication, exception handling).</summary>
public static class Problems
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string? detail = null, IDictionary<string, string[]>? errors = null)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        ProblemDetails problem = errors is null
            ? new ProblemDetails { Status = status, Title = title, Detail = detail }
            : new HttpValidationProblemDetails(errors) { Status = status, Title = title, Detail = detail };
        var service = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await service.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem });
    }
}

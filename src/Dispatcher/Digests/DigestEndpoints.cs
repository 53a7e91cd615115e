using Dispatcher.Access;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dispatcher.Digests;

public sealed record DigestRunResponse(long DispatchId);

public static class DigestEndpoints
{
    public static RouteGroupBuilder MapDigests(this RouteGroupBuilder api)
    {
        api.MapPost("/digests/{cadence}/run", Run).WithTags("Digests").RequireAuthorization(Policies.Admin);
        return api;
    }

    /// <summary>Runs a digest now, outside the schedule: 202 {dispatchId} (a dispatch of nobody when nothing is new).</summary>
    private static async Task<Results<Accepted<DigestRunResponse>, ProblemHttpResult>> Run(
        string cadence, DigestRunner runner, HttpContext http, CancellationToken cancellationToken)
    {
        if (!CadenceNames.TryParse(cadence, out var parsed) || parsed == Cadence.Immediate)
            return ApiProblem.NotFound("There are daily and weekly digests: use /api/digests/daily/run or /api/digests/weekly/run.");
        var dispatch = await runner.StartAsync(parsed, period: null, Caller.From(http.User), cancellationToken);
        return TypedResults.Accepted($"/api/dispatches/{dispatch!.Id}", new DigestRunResponse(dispatch.Id));
    }
}

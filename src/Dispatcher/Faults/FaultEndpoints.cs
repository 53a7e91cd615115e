using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Faults;

public sealed record FailedMessageResponse(long Id, string MessageType, string Payload, string Error, DateTime FaultedAt);

public static class FaultEndpoints
{
    public static RouteGroupBuilder MapFaults(this RouteGroupBuilder api)
    {
        api.MapGet("/errors", List).WithTags("Errors").RequireAuthorization(Policies.Admin);
        api.MapDelete("/errors/{id:long}", Dismiss).WithTags("Errors").RequireAuthorization(Policies.Admin);
        return api;
    }

    /// <summary>Takes a failed message off the list once it is dealt with (the error queue keeps its own copy).</summary>
    private static async Task<Results<NoContent, ProblemHttpResult>> Dismiss(long id, DispatcherDb db, CancellationToken cancellationToken) =>
        await db.FailedMessages.Where(f => f.Id == id).ExecuteDeleteAsync(cancellationToken) > 0
            ? TypedResults.NoContent()
            : ApiProblem.NotFound("There is no such failed message.");

    /// <summary>Messages that failed all their retries and went to an error queue, newest first.</summary>
    private static async Task<Results<Ok<Page<FailedMessageResponse>>, ValidationProblem>> List(
        DispatcherDb db, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        if (errors.Any) return errors.ToProblem();
        var query = db.FailedMessages.AsNoTracking();
        if (page.After is { } afterId) query = query.Where(f => f.Id < afterId);
        var rows = await query.OrderByDescending(f => f.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, f => f.Id, f => new FailedMessageResponse(f.Id, f.MessageType, f.Payload, f.Error, f.FaultedAt)));
    }
}

using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Audit;

public sealed record AuditResponse(long Id, DateTime At, string Actor, string Action, string Target, string? Details);

public static class AuditEndpoints
{
    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", List).WithTags("Audit").RequireAuthorization(Policies.Admin);
        return api;
    }

    /// <summary>Who created, sent, approved, paused, cancelled, imported, erased what, and when; newest first.</summary>
    private static async Task<Results<Ok<Page<AuditResponse>>, ValidationProblem>> List(
        DispatcherDb db, string? after, int? limit, string? action, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        if (errors.Any) return errors.ToProblem();
        var query = db.Audit.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(action)) query = query.Where(a => a.Action.StartsWith(action));
        if (page.After is { } afterId) query = query.Where(a => a.Id < afterId);
        var rows = await query.OrderByDescending(a => a.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, a => a.Id, a => new AuditResponse(a.Id, a.At, a.Actor, a.Action, a.Target, a.Details)));
    }
}

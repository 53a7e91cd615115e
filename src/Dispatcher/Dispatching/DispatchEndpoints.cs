using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Dispatching;

/// <summary>A dispatch and its progress. The counters are disjoint and come from the Delivery rows themselves:
/// sent + failed + bounced + skipped + pending = total.</summary>
public sealed record DispatchResponse(
    long Id, string Kind, string Status, long? StatementId, long? AlertId,
    int Total, int Sent, int Failed, int Bounced, int Skipped, int Pending,
    DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt);

public static class DispatchEndpoints
{
    public static RouteGroupBuilder MapDispatches(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/dispatches").WithTags("Dispatches").RequireAuthorization(Policies.Publisher);
        group.MapGet("/{id:long}", Get);
        group.MapGet("/", List);
        return api;
    }

    private static async Task<Results<Ok<DispatchResponse>, ProblemHttpResult>> Get(long id, DispatcherDb db, CancellationToken cancellationToken)
    {
        var dispatch = await db.Dispatches.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (dispatch is null) return ApiProblem.NotFound($"There is no dispatch {id}.");
        var counts = await CountsAsync(db, [id], cancellationToken);
        return TypedResults.Ok(ToResponse(dispatch, counts));
    }

    private static async Task<Results<Ok<Page<DispatchResponse>>, ValidationProblem>> List(
        DispatcherDb db, string? kind, string? status, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        DispatchKind? kindFilter = null;
        DispatchStatus? statusFilter = null;
        if (kind is not null)
        {
            if (Enum.TryParse<DispatchKind>(kind, ignoreCase: true, out var k) && !int.TryParse(kind, out _)) kindFilter = k;
            else errors.Add("kind", "'kind' must be statement, alert, digest or confirmation.");
        }
        if (status is not null)
        {
            if (Enum.TryParse<DispatchStatus>(status, ignoreCase: true, out var s) && !int.TryParse(status, out _)) statusFilter = s;
            else errors.Add("status", "'status' must be queued, sending, paused, cancelled or completed.");
        }
        if (errors.Any) return errors.ToProblem();

        var query = db.Dispatches.AsNoTracking();
        if (kindFilter is { } kf) query = query.Where(d => d.Kind == kf);
        if (statusFilter is { } sf) query = query.Where(d => d.Status == sf);
        if (page.After is { } afterId) query = query.Where(d => d.Id < afterId);
        var rows = await query.OrderByDescending(d => d.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        var counts = await CountsAsync(db, rows.Select(d => d.Id).ToList(), cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, d => d.Id, d => ToResponse(d, counts)));
    }

    private static async Task<ILookup<long, (DeliveryStatus Status, int Count)>> CountsAsync(DispatcherDb db, List<long> ids, CancellationToken cancellationToken)
    {
        var rows = await db.Deliveries.AsNoTracking()
            .Where(d => ids.Contains(d.DispatchId))
            .GroupBy(d => new { d.DispatchId, d.Status })
            .Select(g => new { g.Key.DispatchId, g.Key.Status, Count = g.Count() })
            .ToListAsync(cancellationToken);
        return rows.ToLookup(r => r.DispatchId, r => (r.Status, r.Count));
    }

    private static DispatchResponse ToResponse(Dispatch d, ILookup<long, (DeliveryStatus Status, int Count)> counts)
    {
        int Count(DeliveryStatus status) => counts[d.Id].Where(c => c.Status == status).Sum(c => c.Count);
        var pending = Count(DeliveryStatus.Pending) + Count(DeliveryStatus.Sending);
        return new DispatchResponse(d.Id, d.Kind.ToString().ToLowerInvariant(), d.Status.ToString().ToLowerInvariant(),
            d.StatementId, d.AlertId, d.Total,
            Count(DeliveryStatus.Sent), Count(DeliveryStatus.Failed), Count(DeliveryStatus.Bounced), Count(DeliveryStatus.Skipped), pending,
            d.CreatedAt, d.StartedAt, d.FinishedAt);
    }
}

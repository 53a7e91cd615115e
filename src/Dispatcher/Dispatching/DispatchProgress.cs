using System.Runtime.CompilerServices;
using Dispatcher.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;

namespace Dispatcher.Dispatching;

/// <summary>A dispatch and its progress. The counters are disjoint and come from the Delivery rows themselves:
/// sent + failed + bounced + skipped + pending = total; inFlight (claimed by a worker right now) is part of pending.
/// Rate (messages/s since it started) and ETA are derived.</summary>
public sealed record DispatchResponse(
    long Id, string Kind, string Status, long? StatementId, long? AlertId,
    int Total, int Sent, int Failed, int Bounced, int Skipped, int Pending, int InFlight,
    DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, double? RatePerSecond, double? EtaSeconds)
{
    public bool IsFinal => Status is "completed" or "cancelled";
}

/// <summary>Reads dispatches with their counts (one GROUP BY over the dispatch's Delivery rows, by index). Counting
/// costs the database about a second per million rows, so a large dispatch's counts are kept for a moment (a tenth of
/// a second per 10,000 people) and shared by everyone watching it: the live progress page, the API, /metrics.</summary>
public sealed class DispatchProgress(DispatcherDb db, TimeProvider clock, IMemoryCache cache)
{
    private const int PeoplePerSecondOfAge = 100_000;

    public async Task<DispatchResponse?> GetAsync(long id, CancellationToken cancellationToken)
    {
        var dispatch = await db.Dispatches.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        return dispatch is null ? null : (await DescribeAsync([dispatch], cancellationToken))[0];
    }

    /// <summary>Live progress as server-sent events ("progress"): the dispatch once a second until it is completed or
    /// cancelled. The API's events and the admin pages' live chart are this one stream; the caller checks access.</summary>
    public ServerSentEventsResult<DispatchResponse> LiveEvents(long id, CancellationToken cancellationToken) =>
        TypedResults.ServerSentEvents(WatchAsync(id, cancellationToken), eventType: "progress");

    private async IAsyncEnumerable<DispatchResponse> WatchAsync(long id, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && await GetAsync(id, cancellationToken) is { } dispatch)
        {
            yield return dispatch;
            if (dispatch.IsFinal) yield break;
            try { await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken); }
            catch (OperationCanceledException) { yield break; }
        }
    }

    /// <summary>A dispatch's counts, once, for the newest dispatch (reads only), or for none on a new installation: an
    /// organiser who sends an alert and opens its page at once would otherwise have this query compiled beside the
    /// alert's first messages (see SendPathWarmUp).</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var newest = await db.Dispatches.AsNoTracking().OrderByDescending(d => d.Id).FirstOrDefaultAsync(cancellationToken);
        await DescribeAsync([newest ?? Dispatch.Queued(DispatchKind.Alert, clock.GetUtcNow().UtcDateTime)], cancellationToken);
    }

    public async Task<List<DispatchResponse>> DescribeAsync(IReadOnlyList<Dispatch> dispatches, CancellationToken cancellationToken)
    {
        // Keyed by status too: a dispatch that was paused, cancelled or completed is counted afresh.
        static (Type, long, DispatchStatus) KeyOf(Dispatch d) => (typeof(DispatchProgress), d.Id, d.Status);
        var counts = new Dictionary<long, (DeliveryStatus Status, int Count)[]>();
        foreach (var d in dispatches)
            if (cache.TryGetValue(KeyOf(d), out (DeliveryStatus, int)[]? kept) && kept is not null) counts[d.Id] = kept;
        var ids = dispatches.Select(d => d.Id).Where(id => !counts.ContainsKey(id)).ToList();
        if (ids.Count > 0)
        {
            var rows = await db.Deliveries.AsNoTracking()
                .Where(d => ids.Contains(d.DispatchId))
                .GroupBy(d => new { d.DispatchId, d.Status })
                .Select(g => new { g.Key.DispatchId, g.Key.Status, Count = g.Count() })
                .ToListAsync(cancellationToken);
            var counted = rows.ToLookup(r => r.DispatchId, r => (r.Status, r.Count));
            foreach (var d in dispatches.Where(d => ids.Contains(d.Id)))
            {
                counts[d.Id] = counted[d.Id].ToArray();
                var age = TimeSpan.FromSeconds((double)d.Total / PeoplePerSecondOfAge);
                if (age >= TimeSpan.FromMilliseconds(100)) cache.Set(KeyOf(d), counts[d.Id], age);
            }
        }
        var now = clock.GetUtcNow().UtcDateTime;
        return dispatches.Select(d =>
        {
            int Count(DeliveryStatus status) => counts[d.Id].Where(c => c.Status == status).Sum(c => c.Count);
            var done = Count(DeliveryStatus.Sent) + Count(DeliveryStatus.Failed) + Count(DeliveryStatus.Bounced) + Count(DeliveryStatus.Skipped);
            var pending = Count(DeliveryStatus.Pending) + Count(DeliveryStatus.Sending);
            var elapsed = ((d.FinishedAt ?? now) - (d.StartedAt ?? now)).TotalSeconds;
            double? rate = d.StartedAt is null || elapsed < 0.5 ? null : Math.Round(done / elapsed, 1);
            double? eta = rate is > 0 && d.Status == DispatchStatus.Sending ? Math.Round(pending / rate.Value) : null;
            return new DispatchResponse(d.Id, d.Kind.ToString().ToLowerInvariant(), d.Status.ToString().ToLowerInvariant(),
                d.StatementId, d.AlertId, d.Total,
                Count(DeliveryStatus.Sent), Count(DeliveryStatus.Failed), Count(DeliveryStatus.Bounced), Count(DeliveryStatus.Skipped), pending,
                Count(DeliveryStatus.Sending),
                d.CreatedAt, d.StartedAt, d.FinishedAt, rate, eta);
        }).ToList();
    }
}

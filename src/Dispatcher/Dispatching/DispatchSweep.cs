using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Dispatcher.Mail;

namespace Dispatcher.Dispatching;

/// <summary>One pass of the sweeper. The database says what is owed; this makes sure the bus carries it:
/// dispatches nobody planned, leases of workers that died, retries that are due, and dispatches whose messages the bus lost.</summary>
public sealed class DispatchSweep(
    DispatcherDb db,
    DispatchPlanner planner,
    BatchPublisher batches,
    DeliveryLedger ledger,
    PlanningBackoff planningBackoff,
    Metrics.DispatcherMetrics metrics,
    TimeProvider clock,
    IOptions<DispatchingOptions> options,
    ILogger<DispatchSweep> logger)
{
    private const int MaxRowsPerPass = 20_000;

    /// <param name="redriveEverything">At start with the in-memory bus, whose queues died with the last process.</param>
    public async Task RunAsync(bool redriveEverything, CancellationToken cancellationToken)
    {
        await PlanForgottenAsync(cancellationToken);
        await ReleaseExpiredLeasesAsync(cancellationToken);
        await RequeueDueRetriesAsync(cancellationToken);
        await RedriveStalledAsync(redriveEverything, cancellationToken);
    }

    /// <summary>Dispatches the API queued but no planner took (the broker was down when the statement came in).</summary>
    private async Task PlanForgottenAsync(CancellationToken cancellationToken)
    {
        var before = clock.GetUtcNow().UtcDateTime - options.Value.PlanGrace;
        var forgotten = await db.Dispatches.AsNoTracking()
            .Where(d => d.Status == DispatchStatus.Queued && d.PlannedAt == null && d.CreatedAt < before)
            .OrderBy(d => d.Id).Select(d => d.Id).Take(20).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var id in forgotten.Where(id => planningBackoff.MayTry(id, now)))
        {
            logger.LogWarning("Dispatch {DispatchId} was not planned within {Grace}; planning it now", id, options.Value.PlanGrace);
            try
            {
                await planner.PlanAsync(id, cancellationToken);
                planningBackoff.Succeeded(id);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not DbUpdateConcurrencyException)
            {
                // A dispatch that cannot be planned must not stop the sweeper's other work; try it again later, less often.
                var wait = planningBackoff.Failed(id, now);
                logger.LogError(e, "Dispatch {DispatchId} could not be planned; trying again in {Wait}", id, wait);
            }
        }
    }

    /// <summary>Deliveries whose lease ran out go back to pending and are re-published — unless their holder is a live
    /// worker, whose rows wait one lease more: a database outage longer than a lease runs out every lease while the
    /// batches wait to record what they sent, and releasing those rows the moment the database is back would send them
    /// again. A dead holder's rows are taken at once by the heartbeat (WorkerHeartbeat), not here; a live holder's
    /// batch records or gives back its rows itself, and this is the fallback for one that does neither.</summary>
    private async Task ReleaseExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var longExpired = now - options.Value.LeaseDuration;
        var expired = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Sending && d.LeaseUntil < now
                        && (d.LeaseUntil < longExpired || d.WorkerId == null
                            || !db.Workers.Any(w => w.Id == d.WorkerId && w.DeclaredDeadAt == null && w.StoppedAt == null)))
            .OrderBy(d => d.Id).Select(d => new { d.Id, d.DispatchId }).Take(MaxRowsPerPass).ToListAsync(cancellationToken);
        if (expired.Count == 0) return;

        foreach (var chunk in expired.Select(e => e.Id).Chunk(500))
            await ledger.Release(db.Deliveries.Where(d => chunk.Contains(d.Id) && d.Status == DeliveryStatus.Sending && d.LeaseUntil < now),
                countAttempt: true, retryAt: null, cancellationToken);
        logger.LogWarning("Released {Count} deliveries whose lease expired", expired.Count);
        metrics.DeliveriesReclaimed.WithLabels("lease_expired").Inc(expired.Count);
        await batches.PublishRowsAsync(expired.Select(e => (e.DispatchId, e.Id)), cancellationToken);
    }

    /// <summary>Deliveries whose back-off is over are queued again.</summary>
    private async Task RequeueDueRetriesAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var due = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Pending && d.RetryAt != null && d.RetryAt <= now
                        && db.Dispatches.Any(x => x.Id == d.DispatchId && x.Status == DispatchStatus.Sending))
            .OrderBy(d => d.Id).Select(d => new { d.Id, d.DispatchId }).Take(MaxRowsPerPass).ToListAsync(cancellationToken);
        if (due.Count == 0) return;

        foreach (var chunk in due.Select(e => e.Id).Chunk(500))
            await db.Deliveries.Where(d => chunk.Contains(d.Id) && d.Status == DeliveryStatus.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.RetryAt, (DateTime?)null), cancellationToken);
        logger.LogInformation("Retrying {Count} deliveries", due.Count);
        await batches.PublishRowsAsync(due.Select(e => (e.DispatchId, e.Id)), cancellationToken);
    }

    /// <summary>A sending dispatch with pending rows that no worker touched for StallAfter, in a lane where nothing else
    /// is moving either, lost its messages (a purged queue, an in-memory bus that restarted): publish its rows again.</summary>
    private async Task RedriveStalledAsync(bool redriveEverything, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var quietSince = now - options.Value.StallAfter;
        var sending = await db.Dispatches.AsNoTracking()
            .Where(d => d.Status == DispatchStatus.Sending)
            .Select(d => new { d.Id, d.Lane, d.LastActivityAt }).ToListAsync(cancellationToken);
        var busyLanes = sending.Where(d => d.LastActivityAt >= quietSince).Select(d => d.Lane).ToHashSet();
        var stalled = redriveEverything
            ? sending
            : sending.Where(d => (d.LastActivityAt ?? DateTime.MinValue) < quietSince && !busyLanes.Contains(d.Lane)).ToList();

        foreach (var dispatch in stalled)
        {
            await db.Dispatches.Where(d => d.Id == dispatch.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.LastActivityAt, now), cancellationToken);
            var published = await batches.PublishPendingAsync(dispatch.Id, dispatch.Lane, cancellationToken);
            if (published > 0)
                logger.LogWarning("Re-drove dispatch {DispatchId} from the database: {Batches} batches", dispatch.Id, published);
            else
                // Nothing pending now: it may be finished (a crash between the last send and completing it).
                await ledger.CompleteIfDoneAsync(dispatch.Id, cancellationToken);
        }
    }
}

using System.Diagnostics;
using Dispatcher.Audit;
using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>Every Dispatching:HeartbeatInterval: writes this worker's heartbeat (confirming <see cref="WorkerLiveness"/>),
/// declares dead the workers whose heartbeat is older than Dispatching:WorkerDeadAfter, and gives back to pending — and
/// to the bus — every delivery a dead worker held. Leases stay the fallback for a worker that is alive but cannot reach
/// the database (it stops sending on its own, see WorkerLiveness) and for claims a worker made before this existed.</summary>
public sealed class WorkerHeartbeat(
    IServiceScopeFactory scopes,
    WorkerLiveness liveness,
    Metrics.DispatcherMetrics metrics,
    TimeProvider clock,
    IOptions<DispatchingOptions> options,
    ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    private const int MaxRowsPerPass = 20_000;
    private static readonly TimeSpan KeepGoneFor = TimeSpan.FromDays(1);
    private static readonly TimeSpan TidyEvery = TimeSpan.FromMinutes(10);

    private DispatchingOptions Options => options.Value;
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private Guid? _registered;
    private long _steadySince; // Stopwatch timestamp of the first beat of the current run of good beats; 0: none
    private long _tidiedAt;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, whatever TimeProvider says: a heartbeat is about this process's own pace.
        using var timer = new PeriodicTimer(Options.HeartbeatInterval);
        do
        {
            try
            {
                await BeatAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database is away: this worker stops sending on its own (WorkerLiveness), and judges nobody until
                // it has been back for WorkerDeadAfter — the others were cut off too.
                _steadySince = 0;
                logger.LogWarning(e, "Could not write this worker's heartbeat");
            }
        } while (await WaitAsync(timer, stoppingToken));
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        var startedAt = Stopwatch.GetTimestamp();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var me = liveness.Current;
        var now = Now;
        if (_registered != me)
        {
            db.Workers.Add(new WorkerProcess { Id = me, Name = WorkerLiveness.ProcessName, StartedAt = now, HeartbeatAt = now });
            await db.SaveChangesAsync(cancellationToken);
            _registered = me;
        }
        else if (await db.Workers.Where(w => w.Id == me && w.DeclaredDeadAt == null)
                     .ExecuteUpdateAsync(s => s.SetProperty(w => w.HeartbeatAt, now), cancellationToken) == 0)
        {
            var next = liveness.StartOver();
            logger.LogError("This worker ({Worker}) was declared dead: its heartbeat was older than {DeadAfter} (paused, or cut off " +
                            "from the database), and what it held was given to other workers; it sends none of that and goes on as {Next}",
                me, Options.WorkerDeadAfter, next);
            _steadySince = 0;
            return; // registered afresh at the next beat
        }
        liveness.Confirmed(me, startedAt);
        if (_steadySince == 0) _steadySince = startedAt;

        // Only a worker that has beaten steadily for WorkerDeadAfter judges others: after a database outage, everyone
        // gets as long to come back.
        if (Stopwatch.GetElapsedTime(_steadySince) >= Options.WorkerDeadAfter)
        {
            await DeclareDeadAsync(db, me, now, cancellationToken);
            await ReclaimAsync(scope.ServiceProvider, db, cancellationToken);
        }
        if (_tidiedAt == 0 || Stopwatch.GetElapsedTime(_tidiedAt) >= TidyEvery)
        {
            var before = now - KeepGoneFor;
            await db.Workers.Where(w => w.DeclaredDeadAt < before || w.StoppedAt < before).ExecuteDeleteAsync(cancellationToken);
            _tidiedAt = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Marks stale workers dead, each by one conditional update: of several live workers, one wins each.</summary>
    private async Task DeclareDeadAsync(DispatcherDb db, Guid me, DateTime now, CancellationToken cancellationToken)
    {
        var staleBefore = now - Options.WorkerDeadAfter;
        var stale = await db.Workers.AsNoTracking()
            .Where(w => w.DeclaredDeadAt == null && w.StoppedAt == null && w.HeartbeatAt < staleBefore && w.Id != me)
            .ToListAsync(cancellationToken);
        foreach (var worker in stale)
        {
            var won = await db.Workers.Where(w => w.Id == worker.Id && w.DeclaredDeadAt == null && w.HeartbeatAt < staleBefore)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.DeclaredDeadAt, now), cancellationToken) == 1;
            if (!won) continue;
            var silent = now - worker.HeartbeatAt;
            metrics.WorkerReclaimSeconds.Observe(silent.TotalSeconds);
            logger.LogWarning("Worker {Name} ({Worker}) declared dead: no heartbeat for {Seconds:0.0} s; taking what it held",
                worker.Name, worker.Id, silent.TotalSeconds);
            var held = await db.Deliveries.Where(d => d.Status == DeliveryStatus.Sending && d.WorkerId == worker.Id)
                .GroupBy(d => d.DispatchId).Select(g => new { Dispatch = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
            foreach (var dispatch in held)
                db.Audit.Add(AuditLog.Entry(clock, "system", "dispatch.reclaimed", $"dispatch:{dispatch.Dispatch}",
                    $"{dispatch.Count} deliveries held by worker {worker.Name}, which stopped {silent.TotalSeconds:0.0} s before, given to live workers"));
            if (held.Count > 0) await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>Every delivery still held by a worker declared dead goes back to pending and onto the bus. Any live
    /// worker may do it, again and again: a row given back is no longer held, and a batch published twice claims nothing
    /// the second time.</summary>
    private async Task ReclaimAsync(IServiceProvider services, DispatcherDb db, CancellationToken cancellationToken)
    {
        var dead = db.Workers.Where(w => w.DeclaredDeadAt != null).Select(w => (Guid?)w.Id);
        var held = await db.Deliveries.AsNoTracking()
            .Where(d => d.Status == DeliveryStatus.Sending && dead.Contains(d.WorkerId))
            .OrderBy(d => d.Id).Select(d => new { d.Id, d.DispatchId }).Take(MaxRowsPerPass).ToListAsync(cancellationToken);
        if (held.Count == 0) return;

        var ledger = services.GetRequiredService<DeliveryLedger>();
        var released = 0;
        foreach (var chunk in held.Select(h => h.Id).Chunk(500))
            released += await ledger.Release(db.Deliveries.Where(d => chunk.Contains(d.Id) && d.Status == DeliveryStatus.Sending && dead.Contains(d.WorkerId)),
                countAttempt: true, retryAt: null, cancellationToken);
        metrics.DeliveriesReclaimed.WithLabels("dead_worker").Inc(released);
        logger.LogWarning("Gave {Count} deliveries held by dead workers back to live ones", released);
        await services.GetRequiredService<BatchPublisher>().PublishRowsAsync(held.Select(h => (h.DispatchId, h.Id)), cancellationToken);
    }

    /// <summary>After the batches have stopped (this service stops after them): says it is gone, so nobody waits
    /// WorkerDeadAfter to find out.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_registered is not { } me) return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var now = Now;
            await scope.ServiceProvider.GetRequiredService<DispatcherDb>().Workers.Where(w => w.Id == me)
                .ExecuteUpdateAsync(s => s.SetProperty(w => w.StoppedAt, now), cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            // The host was disposed without stopping first: the others find it silent, and it held nothing.
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not record that this worker stopped; the others will find it silent");
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try { return await timer.WaitForNextTickAsync(stoppingToken); }
        catch (OperationCanceledException) { return false; }
    }
}

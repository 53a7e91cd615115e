using System.Diagnostics;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>Every Dispatching:HeartbeatInterval: writes this worker's heartbeat (confirming <see cref="WorkerLiveness"/>),
/// declares dead the workers whose heartbeat is older than Dispatching:WorkerDeadAfter, and gives back to pending — and
/// to the bus — every delivery a dead worker held. When nobody dies that is an update and a look at a small table. Leases stay the fallback for a worker that is alive but cannot reach
/// the database (it stops sending on its own, see WorkerLiveness) and for claims a worker made before this existed.</summary>
public sealed class WorkerHeartbeat(
    IServiceScopeFactory scopes,
    WorkerLiveness liveness,
    Metrics.DispatcherMetrics metrics,
    TimeProvider clock,
    IOptions<DispatchingOptions> options,
    ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    private static readonly TimeSpan KeepGoneFor = TimeSpan.FromDays(1);
    private static readonly TimeSpan TidyEvery = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan ClockOffsetWarning = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ClockWarningEvery = TimeSpan.FromMinutes(10);

    private DispatchingOptions Options => options.Value;

    private Guid? _registered;
    private long _steadySince; // Stopwatch timestamp of the first beat of the current run of good beats; 0: none
    private long _tidiedAt;
    private long _clockWarnedAt;

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
                // A registration whose answer was lost may have been written: register afresh under a new id rather
                // than insert the same one again (it never claimed anything under it).
                if (_registered != liveness.Current) liveness.StartOver();
                logger.LogWarning(e, "Could not write this worker's heartbeat");
            }
        } while (await timer.NextTickAsync(stoppingToken));
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        var startedAt = Stopwatch.GetTimestamp();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var me = liveness.Current;
        // Heartbeats are written and judged by the database's clock: workers on machines whose clocks disagree by more
        // than WorkerDeadAfter would otherwise declare a live one dead (and send what it holds again) or miss a dead one.
        var now = await DatabaseClock.NowAsync(db, clock, cancellationToken);
        WatchClock(clock.GetUtcNow().UtcDateTime - now);
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
            await DeclareDeadAsync(scope.ServiceProvider, db, me, now, cancellationToken);
        if (_tidiedAt == 0 || Stopwatch.GetElapsedTime(_tidiedAt) >= TidyEvery)
        {
            var before = now - KeepGoneFor;
            await db.Workers.Where(w => w.DeclaredDeadAt < before || w.StoppedAt < before).ExecuteDeleteAsync(cancellationToken);
            _tidiedAt = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Leases are still timed by each worker's own clock, with two minutes to spare: a clock that far off would
    /// let another worker take rows this one is sending. Said in /metrics at every beat, and in the log.</summary>
    private void WatchClock(TimeSpan offset)
    {
        metrics.ClockOffsetSeconds.Set(offset.TotalSeconds);
        if (offset.Duration() < ClockOffsetWarning || (_clockWarnedAt != 0 && Stopwatch.GetElapsedTime(_clockWarnedAt) < ClockWarningEvery)) return;
        logger.LogWarning("This machine's clock is {Offset:0.0} s off the database server's; leases are timed by the workers' clocks " +
                          "(Dispatching:LeaseDuration, {Lease}): keep every machine's clock right (NTP)", offset.TotalSeconds, Options.LeaseDuration);
        _clockWarnedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>Marks stale workers dead and gives what each held back to pending, each in one transaction whose
    /// conditional update only one live worker wins; then publishes those rows. Should the publish fail, the rows are
    /// pending in the database and the sweeper re-drives them (Dispatching:StallAfter).</summary>
    private async Task DeclareDeadAsync(IServiceProvider services, DispatcherDb db, Guid me, DateTime now, CancellationToken cancellationToken)
    {
        var staleBefore = now - Options.WorkerDeadAfter;
        var stale = await StaleAsync(db, staleBefore, me, cancellationToken);
        foreach (var worker in stale)
        {
            var held = await TakeOverAsync(services, db, worker, staleBefore, now, cancellationToken);
            if (held.Count > 0)
                await services.GetRequiredService<BatchPublisher>().PublishRowsAsync(held.Select(h => (h.DispatchId, h.Id)), cancellationToken);
        }
    }

    private async Task<List<(long Id, long DispatchId)>> TakeOverAsync(IServiceProvider services, DispatcherDb db, WorkerProcess worker,
        DateTime staleBefore, DateTime now, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await DeclareAsync(db, worker.Id, staleBefore, now, cancellationToken) != 1) return [];
        var silent = now - worker.HeartbeatAt;
        var held = await HeldByAsync(db, worker.Id, cancellationToken);
        var released = await ReleaseHeldByAsync(services.GetRequiredService<DeliveryLedger>(), db, worker.Id, cancellationToken);
        foreach (var dispatch in held.GroupBy(h => h.DispatchId))
            db.Audit.Add(AuditLog.Entry(clock, "system", "dispatch.reclaimed", $"dispatch:{dispatch.Key}",
                $"{dispatch.Count()} deliveries held by worker {worker.Name}, which stopped {silent.TotalSeconds:0.0} s before, given to live workers"));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        metrics.WorkerReclaimSeconds.Observe(silent.TotalSeconds);
        metrics.DeliveriesReclaimed.WithLabels("dead_worker").Inc(released);
        logger.LogWarning("Worker {Name} ({Worker}) declared dead: no heartbeat for {Seconds:0.0} s; {Count} deliveries it held given to live workers",
            worker.Name, worker.Id, silent.TotalSeconds, released);
        return held;
    }

    private static Task<List<WorkerProcess>> StaleAsync(DispatcherDb db, DateTime staleBefore, Guid me, CancellationToken cancellationToken) =>
        db.Workers.AsNoTracking()
            .Where(w => w.DeclaredDeadAt == null && w.StoppedAt == null && w.HeartbeatAt < staleBefore && w.Id != me)
            .ToListAsync(cancellationToken);

    /// <summary>Marks a stale worker dead; 1 for the one live worker whose update wins.</summary>
    private static Task<int> DeclareAsync(DispatcherDb db, Guid workerId, DateTime staleBefore, DateTime now, CancellationToken cancellationToken) =>
        db.Workers.Where(w => w.Id == workerId && w.DeclaredDeadAt == null && w.HeartbeatAt < staleBefore)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.DeclaredDeadAt, now), cancellationToken);

    private static async Task<List<(long Id, long DispatchId)>> HeldByAsync(DispatcherDb db, Guid workerId, CancellationToken cancellationToken) =>
        (await db.Deliveries.AsNoTracking().Where(d => d.Status == DeliveryStatus.Sending && d.WorkerId == workerId)
            .Select(d => new { d.Id, d.DispatchId }).ToListAsync(cancellationToken)).Select(d => (d.Id, d.DispatchId)).ToList();

    private static Task<int> ReleaseHeldByAsync(DeliveryLedger ledger, DispatcherDb db, Guid workerId, CancellationToken cancellationToken) =>
        ledger.Release(db.Deliveries.Where(d => d.Status == DeliveryStatus.Sending && d.WorkerId == workerId), countAttempt: true, retryAt: null, cancellationToken);

    /// <summary>The judging and take-over queries against a worker nobody is (Guid.Empty), before /health says ready:
    /// a worker first judges others WorkerDeadAfter after its first beat, which can fall in the first alert after a start
    /// and compile them beside its messages (see SendPathWarmUp). Changes nothing.</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        await StaleAsync(db, DateTime.MinValue, Guid.Empty, cancellationToken);
        await DeclareAsync(db, Guid.Empty, DateTime.MinValue, DateTime.MinValue, cancellationToken);
        await HeldByAsync(db, Guid.Empty, cancellationToken);
        await ReleaseHeldByAsync(scope.ServiceProvider.GetRequiredService<DeliveryLedger>(), db, Guid.Empty, cancellationToken);
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
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            var now = await DatabaseClock.NowAsync(db, clock, cancellationToken);
            await db.Workers.Where(w => w.Id == me).ExecuteUpdateAsync(s => s.SetProperty(w => w.StoppedAt, now), cancellationToken);
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
}

using Dispatcher.Access;
using Dispatcher.Subscribers;
using Microsoft.Extensions.Options;

namespace Dispatcher.Digests;

/// <summary>Watches the clock on every worker and starts each scheduled digest once per period (the database decides
/// who does: see <see cref="DigestRunner"/>). A run missed while every worker was down is made up on return, within
/// Digests:CatchUp.</summary>
public sealed class DigestScheduler(
    IServiceScopeFactory scopes,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    IOptions<DigestOptions> options,
    ILogger<DigestScheduler> logger) : BackgroundService
{
    private static readonly Caller Scheduler = new("schedule", "schedule", Role.Admin, new HashSet<string>());
    private long _checks;

    /// <summary>How many times this worker has looked at the schedules (for health and tests).</summary>
    public long Checks => Interlocked.Read(ref _checks);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            await started.Task.WaitAsync(stoppingToken);

        using var timer = new PeriodicTimer(options.Value.CheckInterval, clock);
        do
        {
            foreach (var cadence in new[] { Cadence.Daily, Cadence.Weekly })
            {
                try
                {
                    if (DueOccurrence(cadence) is not { } due) continue;
                    await using var scope = scopes.CreateAsyncScope();
                    var dispatch = await scope.ServiceProvider.GetRequiredService<DigestRunner>().StartAsync(cadence, due, Scheduler, stoppingToken);
                    if (dispatch is not null)
                        logger.LogInformation("{Cadence} digest for {Period:u} started: dispatch {DispatchId}", cadence, due, dispatch.Id);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Could not start the {Cadence} digest; trying again shortly", cadence);
                }
            }
            Interlocked.Increment(ref _checks);
        } while (await Next(timer, stoppingToken));
    }

    /// <summary>The latest scheduled time that has passed, if it is recent enough to run now.</summary>
    private DateTime? DueOccurrence(Cadence cadence)
    {
        var (cron, zone) = options.Value.Schedule(cadence);
        var now = clock.GetUtcNow().UtcDateTime;
        var from = now - options.Value.CatchUp;
        return cron.GetOccurrences(from, now, zone, fromInclusive: true, toInclusive: true).Cast<DateTime?>().LastOrDefault();
    }

    private static async Task<bool> Next(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try { return await timer.WaitForNextTickAsync(stoppingToken); }
        catch (OperationCanceledException) { return false; }
    }
}

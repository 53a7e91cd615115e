using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Digests;

/// <summary>Watches the clock on every worker and starts each scheduled digest once per period (the database decides
/// who does: see <see cref="DigestRunner"/>): at Digests:LocalTime in each time zone its readers have, or for everyone
/// at a cadence's cron schedule. A run missed while every worker was down is made up on return, within Digests:CatchUp.</summary>
public sealed class DigestScheduler(
    IServiceScopeFactory scopes,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    IOptions<DigestOptions> options,
    IOptions<DispatcherOptions> readers,
    ILogger<DigestScheduler> logger) : BackgroundService
{
    private static readonly Caller Scheduler = new("schedule", "schedule", Role.Admin, new HashSet<string>());
    private long _checks;

    /// <summary>Local-time runs this process knows exist, so that each check asks the database only about new ones.</summary>
    private readonly HashSet<(Cadence, string, DateTime)> _started = [];

    /// <summary>How many times this worker has looked at the schedules (for health and tests).</summary>
    public long Checks => Interlocked.Read(ref _checks);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);

        using var timer = new PeriodicTimer(options.Value.CheckInterval, clock);
        do
        {
            foreach (var cadence in new[] { Cadence.Daily, Cadence.Weekly })
            {
                try
                {
                    if (options.Value.IsLocal(cadence))
                    {
                        await StartLocalRunsAsync(cadence, stoppingToken);
                        continue;
                    }
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
        } while (await timer.NextTickAsync(stoppingToken));
    }

    /// <summary>For each zone the cadence's readers are in, the run of the latest local date whose digest time has passed
    /// (if recent enough to run now).</summary>
    private async Task StartLocalRunsAsync(Cadence cadence, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var settings = options.Value;
        await using var scope = scopes.CreateAsyncScope();
        var zones = await ZonesAsync(scope.ServiceProvider.GetRequiredService<DispatcherDb>(), cadence, readers.Value.TimeZone, cancellationToken);
        foreach (var id in zones)
        {
            if (!TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone))
            {
                logger.LogWarning("Readers have the time zone {Zone}, which this machine does not know: their digests wait", id);
                continue;
            }
            var weeklyDay = cadence == Cadence.Weekly ? settings.WeeklyDayOfWeek : (DayOfWeek?)null;
            if (LocalSchedule.LatestDue(settings.LocalTimeOfDay, weeklyDay, zone, now, settings.CatchUp) is not { } due) continue;
            if (_started.Contains((cadence, id, due.DueUtc))) continue;
            var dispatch = await scope.ServiceProvider.GetRequiredService<DigestRunner>()
                .StartAsync(cadence, due.DueUtc, Scheduler, cancellationToken, (id, due.Date));
            if (_started.Count > 10_000) _started.Clear();
            _started.Add((cadence, id, due.DueUtc));
            if (dispatch is not null)
                logger.LogInformation("{Cadence} digest for readers in {Zone} on {Date:yyyy-MM-dd} started: dispatch {DispatchId}",
                    cadence, id, due.Date, dispatch.Id);
        }
    }

    /// <summary>The zones of the cadence's confirmed readers (theirs, else Dispatcher:TimeZone).</summary>
    internal static Task<List<string>> ZonesAsync(DispatcherDb db, Cadence cadence, string defaultZone, CancellationToken cancellationToken) =>
        db.Subscriptions.AsNoTracking().Where(s => s.Cadence == cadence && s.Status == SubscriptionStatus.Confirmed)
            .Select(s => s.Subscriber!.TimeZone ?? defaultZone).Distinct().ToListAsync(cancellationToken);

    /// <summary>The latest scheduled time that has passed, if it is recent enough to run now.</summary>
    private DateTime? DueOccurrence(Cadence cadence)
    {
        var (cron, zone) = options.Value.Schedule(cadence);
        var now = clock.GetUtcNow().UtcDateTime;
        var from = now - options.Value.CatchUp;
        return cron.GetOccurrences(from, now, zone, fromInclusive: true, toInclusive: true).Cast<DateTime?>().LastOrDefault();
    }
}

using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Feeds;

/// <summary>Polls the feeds that are due, a few at a time, on every worker. A feed is leased before it is polled (its
/// NextPollAt moved ahead by a conditional update), so two workers never poll the same feed at once; a slow or broken
/// feed only ever occupies one of the slots, and only until its timeout.</summary>
public sealed class FeedScheduler(IServiceScopeFactory scopes, IHostApplicationLifetime lifetime, TimeProvider clock, IOptions<FeedOptions> options, ILogger<FeedScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);

        using var timer = new PeriodicTimer(options.Value.CheckInterval, clock);
        do
        {
            try
            {
                var due = await LeaseDueFeedsAsync(stoppingToken);
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Concurrency, CancellationToken = stoppingToken },
                    async (feedId, ct) =>
                    {
                        await using var scope = scopes.CreateAsyncScope();
                        await scope.ServiceProvider.GetRequiredService<FeedPoller>().PollAsync(feedId, ct);
                    });
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Polling feeds failed; trying again shortly");
            }
        } while (await timer.NextTickAsync(stoppingToken));
    }

    private async Task<List<int>> LeaseDueFeedsAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var now = clock.GetUtcNow().UtcDateTime;
        var lease = now + TimeSpan.FromSeconds(options.Value.TimeoutSeconds * 3);
        // A translation feed is fetched with the feed it translates.
        var due = await db.Feeds.Where(f => f.NextPollAt <= now && f.TranslatesFeedId == null).OrderBy(f => f.NextPollAt).Select(f => f.Id).Take(50).ToListAsync(cancellationToken);
        var leased = new List<int>();
        foreach (var id in due)
            if (await db.Feeds.Where(f => f.Id == id && f.NextPollAt <= now).ExecuteUpdateAsync(s => s.SetProperty(f => f.NextPollAt, lease), cancellationToken) == 1)
                leased.Add(id);
        return leased;
    }
}

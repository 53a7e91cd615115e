using Dispatcher.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>Runs <see cref="DispatchSweep"/> every Dispatching:SweepInterval on every worker (each step is idempotent,
/// so several workers sweeping at once only publish a few redundant batches that claim nothing).</summary>
public sealed class DispatchSweeper(
    IServiceScopeFactory scopes,
    IHostApplicationLifetime lifetime,
    IOptions<DispatchingOptions> options,
    IOptions<DispatcherOptions> dispatcher,
    ILogger<DispatchSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Start once the bus is up, so what we publish has somewhere to go.
        await lifetime.WhenStartedAsync(stoppingToken);
        var redriveEverything = dispatcher.Value.Bus == BusKind.InMemory;

        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<DispatchSweep>().RunAsync(redriveEverything, stoppingToken);
                redriveEverything = false;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database or broker is unavailable for a moment: the next pass tries again.
                logger.LogWarning(e, "Sweep failed; trying again in {Interval}", options.Value.SweepInterval);
            }
        } while (await timer.NextTickAsync(stoppingToken));
    }
}

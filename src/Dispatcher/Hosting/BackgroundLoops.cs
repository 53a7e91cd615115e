namespace Dispatcher.Hosting;

/// <summary>What every periodic background service (sweeper, heartbeat, schedulers, webhook sender) does around its
/// work: wait until the host has started, then run once per tick until the host stops.</summary>
public static class BackgroundLoops
{
    /// <summary>Until the host has started (the bus is up, so what the work publishes has somewhere to go).</summary>
    public static async Task WhenStartedAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            await started.Task.WaitAsync(stoppingToken);
    }

    /// <summary>The next tick; false once the host is stopping.</summary>
    public static async Task<bool> NextTickAsync(this PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try { return await timer.WaitForNextTickAsync(stoppingToken); }
        catch (OperationCanceledException) { return false; }
    }
}

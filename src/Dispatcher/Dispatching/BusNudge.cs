using MassTransit;

namespace Dispatcher.Dispatching;

/// <summary>Publishing a nudge whose work is already in the database: wait at most a few seconds for the broker and
/// say whether it took it. False (logged) means the broker is away; the sweeper plans queued dispatches anyway.</summary>
public static class BusNudge
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    public static async Task<bool> TryPublishAsync<T>(this IPublishEndpoint bus, T message, ILogger logger,
        CancellationToken cancellationToken = default) where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Limit);
        try
        {
            await bus.Publish(message, timeout.Token);
            return true;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not publish {Message}: the broker did not take it within {Limit}", message, Limit);
            return false;
        }
    }
}

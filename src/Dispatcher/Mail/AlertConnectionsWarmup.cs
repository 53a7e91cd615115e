namespace Dispatcher.Mail;

/// <summary>Opens the alert lane's own SMTP connections when a sending process starts, so the first alert finds them
/// open; <see cref="RelayConnections"/> keeps them so.</summary>
public sealed class AlertConnectionsWarmup(RelayConnections connections) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        connections.KeepAlertConnectionsOpen();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

namespace Dispatcher.Mail;

/// <summary>Opens the alert lane's own SMTP connections when a sending process starts, so the first alert finds them
/// open; <see cref="RelayConnections"/> keeps them so. Start-up is ready once they are (or after a while without).</summary>
public sealed class AlertConnectionsWarmup(RelayConnections connections, StartupWarmUp warmUp) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        connections.KeepAlertConnectionsOpen();
        try
        {
            await connections.AlertLaneOpen.WaitAsync(StartupWarmUp.AlertLaneWait, stoppingToken);
        }
        catch (TimeoutException)
        {
            // The relay is slow or down: the relay check says so, and the connections open when it answers.
        }
        finally
        {
            warmUp.AlertLaneOpened();
        }
    }
}

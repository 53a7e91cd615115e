using Microsoft.Extensions.Options;

namespace Dispatcher.Bounces.Mailbox;

/// <summary>Visits the bounce mailbox every Bounces:PollInterval and acts on each message (see MailboxReports), deleting
/// it only once what it said is in the database. A server that cannot be reached, or a database that is down, ends the
/// visit with nothing lost: the next one starts over. Several workers may visit the same mailbox; the work is
/// idempotent.</summary>
public sealed class BounceMailboxReader(
    IServiceScopeFactory scopes,
    IOptions<BounceMailboxOptions> options,
    TimeProvider clock,
    Metrics.DispatcherMetrics metrics,
    ILogger<BounceMailboxReader> logger) : BackgroundService
{
    /// <summary>Visits that finished, for tests and health.</summary>
    public int Visits => _visits;

    public string? LastError { get; private set; }

    private int _visits;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        logger.LogInformation("Reading bounces from {Protocol} {Host}", options.Value.UsesImap ? "IMAP" : "POP3", options.Value.Server.Host);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var handled = await VisitAsync(stoppingToken);
                LastError = null;
                Interlocked.Increment(ref _visits);
                if (handled == options.Value.MessagesPerPoll) continue; // more waiting: carry on at once
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LastError = e.Message;
                logger.LogWarning("Bounce mailbox visit failed, trying again in {Interval}: {Error}", options.Value.PollInterval, e.Message);
            }
            try
            {
                await Task.Delay(options.Value.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task<int> VisitAsync(CancellationToken cancellationToken)
    {
        await using var session = await BounceMailboxSession.OpenAsync(options.Value, cancellationToken);
        var ids = await session.ListAsync(options.Value.MessagesPerPoll, cancellationToken);
        var handled = 0;
        try
        {
            foreach (var id in ids)
            {
                var raw = await session.ReadAsync(id, cancellationToken);
                await using (var scope = scopes.CreateAsyncScope())
                {
                    var outcome = await scope.ServiceProvider.GetRequiredService<MailboxReports>().ProcessAsync(raw, cancellationToken);
                    metrics.BounceMailboxMessages.WithLabels(outcome.ToString().ToLowerInvariant()).Inc();
                }
                await session.DeleteAsync(id, cancellationToken);
                handled++;
            }
        }
        finally
        {
            // What was handled is in the database: delete it even when a later message failed.
            if (handled > 0) await session.CommitAsync(CancellationToken.None);
        }
        return handled;
    }
}

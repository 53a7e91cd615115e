using Dispatcher.Data;
using Dispatcher.Mail;
using Dispatcher.Metrics;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Dispatcher.Dispatching;

/// <summary>Sends one SendBatch: claims its deliveries, fills in the dispatch's compiled template per person, sends each
/// through a pooled SMTP connection of the batch's lane and records every outcome. On shutdown it records what was
/// sent and gives back what was not, so nothing is lost and nothing but the message in flight can repeat.</summary>
public sealed class BatchSender(
    DispatcherDb db,
    DeliveryLedger ledger,
    DispatchContentCache contents,
    SmtpConnectionPool pool,
    MessageFactory messages,
    ReturnPaths returnPaths,
    LaneGate gate,
    LeaseKeeper leases,
    SendingThreads threads,
    InFlightBatches inFlight,
    DispatcherMetrics metrics,
    ILogger<BatchSender> logger)
{
    /// <summary>How often a batch looks at its dispatch's status: a pause or cancel takes effect within this time.</summary>
    private static readonly TimeSpan StatusCheckInterval = TimeSpan.FromMilliseconds(250);

    public async Task SendAsync(ISendBatch batch, Lane lane, CancellationToken cancellationToken)
    {
        await db.KeepConnectionOpenAsync(cancellationToken); // the batch's half-dozen statements
        var dispatch = await db.Dispatches.AsNoTracking().SingleOrDefaultAsync(d => d.Id == batch.DispatchId, cancellationToken);
        if (dispatch is not { Status: DispatchStatus.Sending }) return; // paused, cancelled or done: resume re-drives from the rows

        using var entered = inFlight.Enter();
        if (inFlight.Abandoning) return;
        await ledger.TouchAsync(dispatch.Id, cancellationToken);
        // Before the claim, so the lease only has to cover sending: compiling the template on a cold worker can take
        // seconds, and a lease that ran out meanwhile would let another batch send the same people.
        var prepared = await contents.GetAsync(dispatch, cancellationToken);
        var claim = await ledger.ClaimAsync(batch, cancellationToken);
        if (claim.Rows.Count == 0) return;
        using var urgent = lane == Lane.Urgent ? gate.EnterUrgent() : null;

        var outcomes = new List<DeliveryOutcome>(claim.Rows.Count);
        var lease = leases.Hold(claim);
        var leaseInDoubt = false;
        try
        {
            var content = await prepared.ForBatchAsync(db, claim.Rows, cancellationToken);
            // A thread of its own for the batch, sending with MailKit's blocking calls: less CPU per message than its
            // asynchronous ones (see SmtpConnection.Send).
            leaseInDoubt = await threads.Run(() => SendClaimed(dispatch, claim, content, lane, lease, outcomes, cancellationToken));
        }
        finally
        {
            // Renewing stops before the outcomes are written: it expects every row of the claim still to be in flight.
            await lease.DisposeAsync();
            // Whatever happened (shutdown, a bug), keep what we know and give back the rest — through a database
            // outage too: these messages are sent, and forgetting that would send them again once the lease runs out.
            var done = outcomes.Select(o => o.DeliveryId).ToHashSet();
            await DatabaseRetry.Pipeline.ExecuteAsync(async _ =>
            {
                await ledger.RecordAsync(claim, outcomes, CancellationToken.None);
                await ledger.ReleaseAsync(claim, claim.Rows.Select(r => r.DeliveryId).Where(id => !done.Contains(id)),
                    requeue: leaseInDoubt, CancellationToken.None);
            }, CancellationToken.None);
        }

        var accepted = outcomes.Where(o => o.Status == DeliveryStatus.Sent && o.SubscriberId is not null).Select(o => o.SubscriberId!.Value).ToList();
        // Nobody else would do this later (a digest's cursors), so it too waits out a database outage.
        if (accepted.Count > 0)
            await DatabaseRetry.Pipeline.ExecuteAsync(async _ => await prepared.AfterSentAsync(db, accepted, CancellationToken.None), CancellationToken.None);
        if (await ledger.CompleteIfDoneAsync(dispatch.Id, cancellationToken))
            logger.LogInformation("Dispatch {DispatchId} ({Kind}) completed", dispatch.Id, dispatch.Kind);
    }

    /// <summary>Sends the claimed rows one after another on the calling thread, which it blocks (waiting for the relay, an
    /// alert to finish or a connection): run it on a thread of its own, never on the thread pool.</summary>
    /// <returns>True when it stopped because the lease was lost or in doubt: the rest is queued again.</returns>
    private bool SendClaimed(Dispatch dispatch, Claim claim, IBatchContent content, Lane lane, LeaseKeeper.HeldLease lease,
        List<DeliveryOutcome> outcomes, CancellationToken cancellationToken)
    {
        SmtpConnection? connection = null;
        SendOutcome? relayDown = null;
        var sinceCheck = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            foreach (var row in claim.Rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (inFlight.Abandoning) return false; // shutting down: the rest is given back
                if (lane == Lane.Bulk && gate.UrgentActive)
                {
                    // Step aside for an alert: give the connection back so the urgent lane can use it too.
                    connection?.Dispose();
                    connection = null;
                    gate.WaitForUrgentAsync(cancellationToken).GetAwaiter().GetResult();
                }
                if (!lease.Held) return true; // lost or in doubt: another worker may be sending these people now
                if (sinceCheck.Elapsed > StatusCheckInterval)
                {
                    // Paused or cancelled meanwhile: stop here; the rest is given back (or skipped, when cancelled).
                    if (Status(dispatch.Id) != DispatchStatus.Sending) return false;
                    sinceCheck.Restart();
                }
                if (row.Email is null || !content.StillWanted(row))
                {
                    outcomes.Add(new DeliveryOutcome(row.DeliveryId, row.SubscriberId, DeliveryStatus.Skipped,
                        row.Email is null ? "erased before their turn" : "left before their turn"));
                    continue;
                }

                // Once the relay is unreachable, the rest of the batch waits for the retry instead of each timing out.
                var sent = relayDown ?? SendOne(row);
                if (sent.RelayUnavailable) relayDown = sent;
                outcomes.Add(ToOutcome(row, sent, dispatch));
                Count(lane, sent.Result);
            }
            return false;
        }
        finally
        {
            connection?.Dispose();
        }

        SendOutcome SendOne(DeliveryRecipient row)
        {
            try
            {
                connection ??= pool.RentAsync(lane, cancellationToken).GetAwaiter().GetResult();
            }
            catch (RelayUnavailableException e)
            {
                return SendOutcome.Unavailable(e.Message);
            }
            var next = content.MessageForAsync(row);
            // Disposed once sent: its parts hold buffers, and a message left to the finalizer costs more than it carries.
            using var message = messages.Create(next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult());
            // Not cancelled midway (shutdown, a lost broker connection): a message cut off after its DATA would be
            // neither known sent nor known unsent, and would go out again. Smtp:TimeoutSeconds bounds the wait.
            return connection.Send(message, returnPaths.EnvelopeFor(row.DeliveryId), new MailboxAddress(string.Empty, row.Email!), CancellationToken.None);
        }
    }

    private void Count(Lane lane, SendResult result)
    {
        var name = lane == Lane.Urgent ? "urgent" : "bulk";
        if (result == SendResult.Accepted) metrics.MessagesSent.WithLabels(name).Inc();
        else metrics.MessagesNotSent.WithLabels(name, result.ToString().ToLowerInvariant()).Inc();
    }

    private DispatchStatus Status(long dispatchId) =>
        db.Dispatches.AsNoTracking().Where(d => d.Id == dispatchId).Select(d => d.Status).Single();

    private DeliveryOutcome ToOutcome(DeliveryRecipient row, SendOutcome sent, Dispatch dispatch) => sent.Result switch
    {
        SendResult.Accepted => new(row.DeliveryId, row.SubscriberId, DeliveryStatus.Sent, sent.Response),
        SendResult.Bounced => new(row.DeliveryId, row.SubscriberId, DeliveryStatus.Bounced, sent.Response),
        SendResult.Failed => new(row.DeliveryId, row.SubscriberId, DeliveryStatus.Failed, sent.Response),
        _ when sent.RelayUnavailable => ledger.RelayRetryAt(dispatch.StartedAt) is { } retryAt
            ? new(row.DeliveryId, row.SubscriberId, DeliveryStatus.Pending, sent.Response, retryAt, NotTried: true)
            : new(row.DeliveryId, row.SubscriberId, DeliveryStatus.Failed, $"gave up: the relay was still unavailable when Dispatching:RetryFor ran out: {sent.Response}"),
        _ => ledger.RetryAtFor(row.Attempts, dispatch.StartedAt) is { } retryAt
            ? new(row.DeliveryId, row.SubscriberId, DeliveryStatus.Pending, sent.Response, retryAt)
            : new(row.DeliveryId, row.SubscriberId, DeliveryStatus.Failed, $"gave up after {row.Attempts} attempts: {sent.Response}"),
    };
}

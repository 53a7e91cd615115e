using Dispatcher.Data;
using Dispatcher.Mail;
using Dispatcher.Messages;
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

    /// <summary>A batch writes its outcomes as it goes, every this many or after <see cref="MaxUnwritten"/>, not only at
    /// its end: what a crash sends twice is what was sent but not yet written, so this, not Dispatching:BatchSize, bounds
    /// it per connection — and batches can be large, which is what makes claiming cheap per message.</summary>
    internal const int OutcomesPerWrite = 100;

    private static readonly TimeSpan MaxUnwritten = TimeSpan.FromSeconds(1);

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

        var outcomes = new BatchOutcomes(claim.Rows.Count);
        var lease = leases.Hold(claim);
        var leaseInDoubt = false;
        try
        {
            var content = await prepared.ForBatchAsync(db, claim.Rows, cancellationToken);
            // A thread of its own for the batch, sending with MailKit's blocking calls: less CPU per message than its
            // asynchronous ones (see SmtpConnection.Send).
            leaseInDoubt = await threads.Run(() => SendClaimed(dispatch, claim, prepared, content, lane, lease, outcomes, cancellationToken));
        }
        finally
        {
            // Renewing stops before the last outcomes are written: it expects every row not yet written still to be in flight.
            await lease.DisposeAsync();
            // Whatever happened (shutdown, a bug), keep what we know and give back the rest — through a database
            // outage too: these messages are sent, and forgetting that would send them again once the lease runs out.
            var done = outcomes.All.Select(o => o.DeliveryId).ToHashSet();
            await DatabaseRetry.Pipeline.ExecuteAsync(async _ =>
            {
                await WriteAsync(claim, prepared, outcomes.Unwritten, CancellationToken.None);
                await ledger.ReleaseAsync(claim, claim.Rows.Select(r => r.DeliveryId).Where(id => !done.Contains(id)),
                    requeue: leaseInDoubt, CancellationToken.None);
            }, CancellationToken.None);
        }

        if (await ledger.CompleteIfDoneAsync(dispatch.Id, cancellationToken))
            logger.LogInformation("Dispatch {DispatchId} ({Kind}) completed", dispatch.Id, dispatch.Kind);
    }

    /// <summary>Records outcomes, then does what the content needs once people have it (a digest moves their cursors on).
    /// Both can be repeated: a row already written is not written again, and a cursor only moves forward.</summary>
    private async Task WriteAsync(Claim claim, IPreparedContent prepared, IReadOnlyCollection<DeliveryOutcome> outcomes, CancellationToken cancellationToken)
    {
        await ledger.RecordAsync(claim, outcomes, cancellationToken);
        var accepted = outcomes.Where(o => o.Status == DeliveryStatus.Sent && o.SubscriberId is not null).Select(o => o.SubscriberId!.Value).ToList();
        if (accepted.Count > 0) await prepared.AfterSentAsync(db, accepted, cancellationToken);
    }

    /// <summary>Sends the claimed rows one after another on the calling thread, which it blocks (waiting for the relay, an
    /// alert to finish, a connection or the database): run it on a thread of its own, never on the thread pool.</summary>
    /// <returns>True when it stopped because the lease was lost or in doubt: the rest is queued again.</returns>
    private bool SendClaimed(Dispatch dispatch, Claim claim, IPreparedContent prepared, IBatchContent content, Lane lane,
        LeaseKeeper.HeldLease lease, BatchOutcomes outcomes, CancellationToken cancellationToken)
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
                if (outcomes.WriteDue) WriteSoFar(claim, prepared, lease, outcomes);
                if (row.Email is null || !content.StillWanted(row))
                {
                    outcomes.Add(row.Email is null
                        ? new DeliveryOutcome(row.DeliveryId, null, DeliveryStatus.Skipped, "erased before their turn")
                        : new DeliveryOutcome(row.DeliveryId, row.SubscriberId, DeliveryStatus.Skipped, "left before their turn"));
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

    /// <summary>Writes the outcomes so far, on the sending thread (the batch's database context is free while it sends).
    /// A failure is not the batch's end: they stay unwritten, and are written later or, through retries, at its end.</summary>
    private void WriteSoFar(Claim claim, IPreparedContent prepared, LeaseKeeper.HeldLease lease, BatchOutcomes outcomes)
    {
        var unwritten = outcomes.Unwritten;
        lease.Settling(outcomes.All.Count); // these rows leave the claim: renewals must not take that for a takeover
        try
        {
            WriteAsync(claim, prepared, unwritten, CancellationToken.None).GetAwaiter().GetResult();
            outcomes.Written(unwritten.Count);
        }
        catch (Exception e)
        {
            outcomes.WriteFailed();
            logger.LogWarning(e, "Could not write {Count} outcomes of dispatch {DispatchId} yet; the batch tries again later", unwritten.Count, claim.DispatchId);
        }
    }

    /// <summary>A batch's outcomes and how many of them (the first ones) are written.</summary>
    private sealed class BatchOutcomes(int capacity)
    {
        private readonly System.Diagnostics.Stopwatch _sinceWrite = System.Diagnostics.Stopwatch.StartNew();
        private int _written;
        private bool _failed;

        public List<DeliveryOutcome> All { get; } = new(capacity);

        public List<DeliveryOutcome> Unwritten => All.GetRange(_written, All.Count - _written);

        public bool WriteDue => All.Count > _written && (_sinceWrite.Elapsed > MaxUnwritten || (!_failed && All.Count - _written >= OutcomesPerWrite));

        public void Add(DeliveryOutcome outcome) => All.Add(outcome);

        public void Written(int count)
        {
            _written += count;
            _failed = false;
            _sinceWrite.Restart();
        }

        /// <summary>Not again with the next message: after MaxUnwritten, or at the batch's end.</summary>
        public void WriteFailed()
        {
            _failed = true;
            _sinceWrite.Restart();
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

using Dispatcher.Data;
using Dispatcher.Mail;
using Dispatcher.Messages;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Dispatching;

/// <summary>Sends one SendBatch: claims its deliveries, hands them to the SMTP connections of its lane as jobs (every
/// connection takes the next as soon as it is free), records each outcome as the answers come, and gives back what was
/// not sent when it has to stop — a pause, a cancel, a lost lease, shutdown — so nothing is lost and nothing but the
/// messages in flight can repeat.</summary>
public sealed class BatchSender(
    DispatcherDb db,
    DeliveryLedger ledger,
    DispatchContentCache contents,
    RelayConnections connections,
    MessageFactory messages,
    ReturnPaths returnPaths,
    LaneGate gate,
    LeaseKeeper leases,
    WorkerLiveness liveness,
    InFlightBatches inFlight,
    ILogger<BatchSender> logger)
{
    /// <summary>How often a batch looks at its dispatch's status and its lease: a pause or cancel takes effect within this time.</summary>
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A batch writes its outcomes as they come, every this many or after <see cref="MaxUnwritten"/>, not only at
    /// its end: what a crash sends twice is what was sent but not yet written, so this, not Dispatching:BatchSize, bounds
    /// it per batch — and batches can be large, which is what makes claiming cheap per message.</summary>
    internal const int OutcomesPerWrite = 100;

    private static readonly TimeSpan MaxUnwritten = TimeSpan.FromSeconds(1);

    public async Task SendAsync(ISendBatch batch, Lane lane, CancellationToken cancellationToken)
    {
        using var span = Metrics.Tracing.Source.StartActivity("send batch");
        span?.SetTag("dispatcher.dispatch_id", batch.DispatchId);
        span?.SetTag("dispatcher.lane", lane.ToString().ToLowerInvariant());
        await db.KeepConnectionOpenAsync(cancellationToken); // the batch's half-dozen statements
        var dispatch = await DispatchAsync(batch.DispatchId, cancellationToken);
        if (dispatch is not { Status: DispatchStatus.Sending }) return; // paused, cancelled or done: resume re-drives from the rows

        using var entered = inFlight.Enter();
        if (inFlight.Abandoning) return;
        // Bulk work waits while an alert is going out: its connections, the CPU and the database are the alert's.
        if (lane == Lane.Bulk) await gate.WaitForUrgentAsync(cancellationToken);
        await ledger.TouchAsync(dispatch.Id, cancellationToken);
        // Before the claim, so the lease only has to cover sending: compiling the template on a cold worker can take
        // seconds, and a lease that ran out meanwhile would let another batch send the same people.
        var prepared = await contents.GetAsync(dispatch, cancellationToken);
        // Nothing is claimed before the other workers can see this one alive: what it holds must be theirs to take if it dies.
        await liveness.WhenAliveAsync(cancellationToken);
        var claim = await ledger.ClaimAsync(batch); // not cancellable: see there
        if (claim.Rows.Count == 0) return;
        using var urgent = lane == Lane.Urgent ? gate.EnterUrgent() : null;

        var run = new BatchRun(claim.Rows.Count);
        var lease = leases.Hold(claim);
        var leaseInDoubt = false;
        try
        {
            var content = await prepared.ForBatchAsync(db, claim.Rows, cancellationToken);
            var jobs = new List<DeliveryJob>(claim.Rows.Count);
            foreach (var row in claim.Rows)
                if (row.Email is null) run.Add(new DeliveryOutcome(row.DeliveryId, null, DeliveryStatus.Skipped, "erased before their turn"));
                else jobs.Add(new DeliveryJob(this, run, lease, dispatch, row, content, lane, messages, returnPaths));
            connections.Submit(jobs);
            leaseInDoubt = await WaitAsync(dispatch, claim, prepared, lease, run, jobs, cancellationToken);
        }
        finally
        {
            // Renewing stops before the last outcomes are written: it expects every row not yet written still to be in flight.
            await lease.DisposeAsync();
            // Whatever happened (shutdown, a bug), keep what we know and give back the rest — through a database
            // outage of any length too: these messages are sent, and forgetting that would send them again once the
            // lease runs out.
            var done = run.All().Select(o => o.DeliveryId).ToHashSet();
            await DatabaseRetry.UntilWritten.ExecuteAsync(async _ =>
            {
                await WriteAsync(claim, prepared, run.Unwritten(), CancellationToken.None);
                // Queued again at once when the batch was cancelled too: its message may already have come back (a
                // broker node lost) and found these rows still held, so nothing else would send them.
                await ledger.ReleaseAsync(claim, claim.Rows.Select(r => r.DeliveryId).Where(id => !done.Contains(id)),
                    requeue: leaseInDoubt || cancellationToken.IsCancellationRequested, CancellationToken.None);
            }, CancellationToken.None);
        }

        // Even when cancelled: a batch that sent the last of its dispatch before it was told to stop completes it — its
        // redelivered message claims nothing, and otherwise only the sweeper would, Dispatching:StallAfter later.
        if (await ledger.CompleteIfDoneAsync(dispatch.Id, CancellationToken.None))
            logger.LogInformation("Dispatch {DispatchId} ({Kind}) completed", dispatch.Id, dispatch.Kind);
    }

    /// <summary>Waits for every job's answer, writing outcomes as they come and looking at the dispatch and the lease. When
    /// the batch has to stop, the jobs no connection has taken yet are withdrawn; those being sent finish (each within
    /// Smtp:TimeoutSeconds).</summary>
    /// <returns>True when it stopped because the lease was lost or in doubt: the rest is queued again.</returns>
    private async Task<bool> WaitAsync(Dispatch dispatch, Claim claim, IPreparedContent prepared, LeaseKeeper.HeldLease lease,
        BatchRun run, List<DeliveryJob> jobs, CancellationToken cancellationToken)
    {
        var leaseLost = false;
        var stopping = false;
        var sinceCheck = System.Diagnostics.Stopwatch.StartNew();
        while (!run.Finished)
        {
            await run.WaitAsync(CheckInterval);
            if (run.WriteDue) await WriteSoFarAsync(claim, prepared, lease, run);
            if (!stopping && sinceCheck.Elapsed >= CheckInterval)
            {
                sinceCheck.Restart();
                if (!lease.Held) leaseLost = true; // lost or in doubt: another worker may be sending these people now
                stopping = leaseLost || cancellationToken.IsCancellationRequested || inFlight.Abandoning
                           || await StatusAsync(dispatch.Id) != DispatchStatus.Sending; // paused or cancelled meanwhile
            }
            // Again each time round: a connection may give a job back (its relay too busy) after the last pass.
            if (stopping) run.Withdrawn(jobs.Count(job => job.TryWithdraw()));
        }
        return leaseLost;
    }

    /// <summary>Records outcomes, then does what the content needs once people have it (a digest moves their cursors on).
    /// Both can be repeated: a row already written is not written again, and a cursor only moves forward.</summary>
    private async Task WriteAsync(Claim claim, IPreparedContent prepared, IReadOnlyCollection<DeliveryOutcome> outcomes, CancellationToken cancellationToken)
    {
        await ledger.RecordAsync(claim, outcomes, cancellationToken);
        var accepted = outcomes.Where(o => o.Status == DeliveryStatus.Sent && o.SubscriberId is not null).Select(o => o.SubscriberId!.Value).ToList();
        if (accepted.Count > 0) await prepared.AfterSentAsync(db, accepted, cancellationToken);
    }

    /// <summary>Writes the outcomes so far. A failure is not the batch's end: they stay unwritten, and are written later
    /// or, through retries, at its end.</summary>
    private async Task WriteSoFarAsync(Claim claim, IPreparedContent prepared, LeaseKeeper.HeldLease lease, BatchRun run)
    {
        var unwritten = run.Unwritten();
        lease.Settling(run.WrittenCount + unwritten.Count); // these rows leave the claim: renewals must not take that for a takeover
        try
        {
            await WriteAsync(claim, prepared, unwritten, CancellationToken.None);
            run.Written(unwritten.Count);
        }
        catch (Exception e)
        {
            run.WriteFailed();
            logger.LogWarning(e, "Could not write {Count} outcomes of dispatch {DispatchId} yet; the batch tries again later", unwritten.Count, claim.DispatchId);
        }
    }

    private Task<Dispatch?> DispatchAsync(long id, CancellationToken cancellationToken) =>
        db.Dispatches.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);

    /// <summary>Null when the dispatch is gone (deleted with its list): not sending.</summary>
    private Task<DispatchStatus?> StatusAsync(long dispatchId) =>
        db.Dispatches.AsNoTracking().Where(d => d.Id == dispatchId).Select(d => (DispatchStatus?)d.Status).SingleOrDefaultAsync();

    /// <summary>Its queries, which only read, against the newest dispatch (see <see cref="SendPathWarmUp"/>).</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var newest = await SendPathWarmUp.NewestDispatchAsync(db, cancellationToken);
        await DispatchAsync(newest, cancellationToken);
        await StatusAsync(newest);
    }

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

    /// <summary>One person's message of this batch, as a job for the SMTP connections.</summary>
    private sealed class DeliveryJob(BatchSender sender, BatchRun run, LeaseKeeper.HeldLease lease, Dispatch dispatch, DeliveryRecipient row,
        IBatchContent content, Lane lane, MessageFactory messages, ReturnPaths returnPaths) : MailJob
    {
        private string? _returnPath;

        public override Lane Lane => lane;
        public override string Sender => _returnPath ??= returnPaths.EnvelopeFor(row.DeliveryId).Address;
        public override string Recipient => row.Email!;

        public override async ValueTask<bool> WriteAsync(Stream output)
        {
            // The lease, before the message is built (and again as its last bytes go, StillToSend): a worker that was paused past its
            // heartbeat, or lost the rows to another claim, leaves this person to whoever holds them now (the batch sees
            // the lease gone and gives back the rest).
            if (!StillToSend()) return false;
            // Checked just before sending: people who left since are skipped.
            if (!content.StillWanted(row))
            {
                run.Add(new DeliveryOutcome(row.DeliveryId, row.SubscriberId, DeliveryStatus.Skipped, "left before their turn"));
                return false;
            }
            var next = content.MessageForAsync(row);
            // Disposed once written: its parts hold buffers, and a message left to the finalizer costs more than it carries.
            using var message = messages.Create(next.IsCompletedSuccessfully ? next.Result : await next);
            WriteMime(message, output);
            return true;
        }

        public override bool StillToSend()
        {
            if (lease.Held) return true;
            run.Withdrawn(1);
            return false;
        }

        protected override void OnCompleted(SendOutcome outcome) => run.Add(sender.ToOutcome(row, outcome, dispatch));
    }

    /// <summary>A batch's outcomes as the connections report them, and how many of them (the first ones) are written.</summary>
    private sealed class BatchRun(int expected)
    {
        private readonly Lock _lock = new();
        private readonly List<DeliveryOutcome> _all = new(expected);
        private readonly System.Diagnostics.Stopwatch _sinceWrite = System.Diagnostics.Stopwatch.StartNew();
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _expected = expected;
        private int _written;
        private bool _failed;

        public bool Finished
        {
            get
            {
                lock (_lock) return _all.Count >= _expected;
            }
        }

        public int WrittenCount
        {
            get
            {
                lock (_lock) return _written;
            }
        }

        public bool WriteDue
        {
            get
            {
                lock (_lock)
                    return _all.Count > _written && (_sinceWrite.Elapsed > MaxUnwritten || (!_failed && _all.Count - _written >= OutcomesPerWrite)
                                                     || _all.Count >= _expected);
            }
        }

        public void Add(DeliveryOutcome outcome)
        {
            TaskCompletionSource changed;
            lock (_lock)
            {
                _all.Add(outcome);
                // Wake the batch for a write that is due, or at the end; not for every answer.
                if ((_all.Count - _written) % OutcomesPerWrite != 0 && _all.Count < _expected) return;
                changed = _changed;
            }
            changed.TrySetResult();
        }

        /// <summary>Jobs taken back unsent: the batch no longer waits for them.</summary>
        public void Withdrawn(int count)
        {
            if (count == 0) return;
            TaskCompletionSource changed;
            lock (_lock)
            {
                _expected -= count;
                changed = _changed;
            }
            changed.TrySetResult();
        }

        /// <summary>Until a write is due, everything is in, or <paramref name="most"/> has passed.</summary>
        public async Task WaitAsync(TimeSpan most)
        {
            Task changed;
            lock (_lock)
            {
                if (_changed.Task.IsCompleted) _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_all.Count >= _expected || (!_failed && _all.Count - _written >= OutcomesPerWrite)) return;
                changed = _changed.Task;
            }
            await Task.WhenAny(changed, Task.Delay(most));
        }

        public List<DeliveryOutcome> All()
        {
            lock (_lock) return [.. _all];
        }

        public List<DeliveryOutcome> Unwritten()
        {
            lock (_lock) return _all.GetRange(_written, _all.Count - _written);
        }

        public void Written(int count)
        {
            lock (_lock)
            {
                _written += count;
                _failed = false;
                _sinceWrite.Restart();
            }
        }

        /// <summary>Not again with the next answer: after MaxUnwritten, or at the batch's end.</summary>
        public void WriteFailed()
        {
            lock (_lock)
            {
                _failed = true;
                _sinceWrite.Restart();
            }
        }
    }
}

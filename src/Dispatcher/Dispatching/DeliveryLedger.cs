using Dispatcher.Data;
using Dispatcher.Messages;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>A claimed delivery with what sending it needs. Email is null when the person was erased; Language is the
/// one they chose (null: none; see DispatcherOptions.LanguageOf).</summary>
public sealed record DeliveryRecipient(
    long DeliveryId, long? SubscriberId, int ListId, int Attempts,
    string? Email, string? Name, SubscriptionStatus? Status, Cadence? Cadence, bool? Alerts, string? Language = null);

/// <summary>Deliveries this worker holds a lease on, until LeaseUntil unless renewed (see LeaseKeeper), claimed under
/// worker identity WorkerId (see WorkerLiveness).</summary>
public sealed record Claim(Guid Id, long DispatchId, DateTime LeaseUntil, IReadOnlyList<DeliveryRecipient> Rows, Guid WorkerId);

/// <summary>The final or temporary state of one delivery after an attempt. NotTried: the relay was unreachable, so the
/// attempt the claim counted is given back — a relay outage must not use up a person's retries. SubscriberId is who it
/// was for; null when nobody is (the person was erased), and the row then forgets who it was for: a row written while
/// its person was being erased, after SubscriberEraser had unlinked their rows.</summary>
public readonly record struct DeliveryOutcome(long DeliveryId, long? SubscriberId, DeliveryStatus Status, string? Response,
    DateTime? RetryAt = null, bool NotTried = false);

/// <summary>Reads and writes Delivery rows: claim with a lease, record outcomes, release what was not tried, complete the dispatch.
/// Every write after a claim is guarded by the claim id, so a worker whose lease ran out cannot overwrite a newer claim.</summary>
public sealed class DeliveryLedger(
    DispatcherDb db, IRelayBounces relayBounces, TimeProvider clock, TouchThrottle touches, WorkerLiveness liveness,
    IOptions<DispatchingOptions> options, ILogger<DeliveryLedger> logger)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Leases the claimable deliveries of the batch's range. A second message for the same range claims nothing,
    /// because the UPDATE only takes rows that are still pending (PostgreSQL re-checks the row after a concurrent update).</summary>
    public async Task<Claim> ClaimAsync(ISendBatch batch)
    {
        // Both steps are retried with the same claim id through a database outage, however long: rows the UPDATE took
        // (even when its answer was lost) are found by the SELECT, instead of sitting leased to a live worker that no
        // longer knows it holds them — which the sweeper leaves them to for two leases.
        var claimId = Guid.NewGuid();
        var workerId = liveness.Current;
        var tries = 0;
        DateTime? firstLeaseUntil = null; // rows the first try took keep its (earliest) lease
        // Not cancellable once begun: a claim the server made whose answer a cancellation threw away (the consumer's
        // broker node died, the host is stopping) would leave its rows leased to nobody until the lease runs out. The
        // caller looks at its token once it knows what it holds, and gives the rows back.
        return await DatabaseRetry.UntilWritten.ExecuteAsync(token =>
        {
            var now = Now;
            firstLeaseUntil ??= now + options.Value.LeaseDuration;
            return new ValueTask<Claim>(ClaimAsync(batch, claimId, workerId, now, firstLeaseUntil.Value, retry: tries++ > 0, token));
        }, CancellationToken.None);
    }

    /// <remarks>Written by hand (<see cref="HandWrittenCommand"/>): through EF the claim costs the sender CPU it needs
    /// for sending (docs/adr/0002-hand-written-claim-and-outcome-sql.md).</remarks>
    private async Task<Claim> ClaimAsync(ISendBatch batch, Guid claimId, Guid workerId, DateTime now, DateTime firstLeaseUntil, bool retry,
        CancellationToken cancellationToken)
    {
        var leaseUntil = now + options.Value.LeaseDuration;
        int claimed;
        await using (var update = await HandWrittenCommand.OpenAsync(db, cancellationToken))
        {
            claimed = await update.Sql($"""
                UPDATE deliveries SET status = {(int)DeliveryStatus.Sending}, claim_id = {update.Add(claimId)},
                    worker_id = {update.Add(workerId)}, lease_until = {update.Add(leaseUntil)}, retry_at = NULL, attempts = attempts + 1
                WHERE dispatch_id = {update.Add(batch.DispatchId)} AND id >= {update.Add(batch.FirstDeliveryId)}
                    AND id <= {update.Add(batch.LastDeliveryId)} AND status = {(int)DeliveryStatus.Pending}
                    AND (retry_at IS NULL OR retry_at <= {update.Add(now)})
                    -- in the same statement as the claim, so nothing is claimed once a pause or cancel has committed
                    AND EXISTS (SELECT 1 FROM dispatches x WHERE x.id = deliveries.dispatch_id AND x.status = {(int)DispatchStatus.Sending})
                """).ExecuteNonQueryAsync(cancellationToken);
        }
        // Nothing taken — unless this is a retry, when the first try's UPDATE may have taken the rows.
        if (claimed == 0 && !retry) return new Claim(claimId, batch.DispatchId, firstLeaseUntil, [], workerId);

        await using var select = await HandWrittenCommand.OpenAsync(db, cancellationToken);
        await using var reader = await select.Sql($"""
            SELECT d.id, d.subscriber_id, d.list_id, d.attempts, s.email, s.name, sub.status, sub.cadence, sub.alerts, s.language
            FROM deliveries d
            LEFT JOIN subscribers s ON s.id = d.subscriber_id
            LEFT JOIN subscriptions sub ON sub.subscriber_id = d.subscriber_id AND sub.list_id = d.list_id
            WHERE {HeldBy(select, claimId, batch.DispatchId, batch.FirstDeliveryId, batch.LastDeliveryId)}
            ORDER BY d.id
            """).ExecuteReaderAsync(cancellationToken);
        var rows = new List<DeliveryRecipient>(claimed);
        while (await reader.ReadAsync(cancellationToken))
            rows.Add(new DeliveryRecipient(
                reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetInt32(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : (SubscriptionStatus)reader.GetInt32(6), reader.IsDBNull(7) ? null : (Cadence)reader.GetInt32(7),
                reader.IsDBNull(8) ? null : reader.GetBoolean(8), reader.IsDBNull(9) ? null : reader.GetString(9)));
        return new Claim(claimId, batch.DispatchId, firstLeaseUntil, rows, workerId);
    }

    /// <summary>Moves the lease of the claim's rows on to leaseUntil; returns how many it still held. Every row whose
    /// outcome the batch has not written is still in flight, so fewer than those means some were taken over.</summary>
    public async Task<int> RenewAsync(Claim claim, DateTime leaseUntil, CancellationToken cancellationToken)
    {
        await using var renew = await HandWrittenCommand.OpenAsync(db, cancellationToken);
        return await renew.Sql($"""
            UPDATE deliveries AS d SET lease_until = {renew.Add(leaseUntil)}
            WHERE {HeldBy(renew, claim.Id, claim.DispatchId, claim.Rows[0].DeliveryId, claim.Rows[^1].DeliveryId)}
            """).ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The rows a claim holds in an id range of a dispatch, as a condition on deliveries named d. Status too,
    /// though the claim id alone would do: so the (dispatch, status, id) index covers the range. Without it SQLite walked
    /// every row of the dispatch for each batch (no statistics: it takes dispatch_id as selective).</summary>
    private static string HeldBy(HandWrittenCommand command, Guid claimId, long dispatchId, long firstId, long lastId) =>
        $"d.dispatch_id = {command.Add(dispatchId)} AND d.status = {(int)DeliveryStatus.Sending} " +
        $"AND d.id >= {command.Add(firstId)} AND d.id <= {command.Add(lastId)} AND d.claim_id = {command.Add(claimId)}";

    /// <summary>Writes every outcome in one statement (UPDATE … FROM VALUES, on SQLite and PostgreSQL alike), with the
    /// bounces it implies, in one transaction. Rows whose lease was taken over meanwhile (another claim id) are left
    /// to their new owner.</summary>
    public async Task RecordAsync(Claim claim, IReadOnlyCollection<DeliveryOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0) return;
        var now = Now;
        db.ChangeTracker.Clear();
        try
        {
            // Without a bounce each row's write stands alone, and a transaction would only add two round trips to a
            // write that a batch makes every 100 messages.
            var anyBounce = outcomes.Any(o => o.Status == DeliveryStatus.Bounced);
            await using var transaction = anyBounce ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
            var written = new HashSet<long>();
            foreach (var chunk in outcomes.Chunk(200))
                written.UnionWith(await WriteOutcomesAsync(claim.Id, chunk, now, cancellationToken));

            if (transaction is not null)
            {
                await RecordBouncesAsync(outcomes, written, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
            if (written.Count < outcomes.Count)
                logger.LogWarning("Lease lost on {Lost} deliveries of dispatch {DispatchId}: another worker holds them now", outcomes.Count - written.Count, claim.DispatchId);
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>Bounces only for rows this claim still held: not for a lease taken over, nor twice when a retry after a
    /// lost commit acknowledgement finds the rows already written.</summary>
    private Task RecordBouncesAsync(IReadOnlyCollection<DeliveryOutcome> outcomes, HashSet<long> written, CancellationToken cancellationToken) =>
        relayBounces.RecordAsync(outcomes.Where(o => o.Status == DeliveryStatus.Bounced && written.Contains(o.DeliveryId))
            .Select(o => new RelayBounce(o.DeliveryId, o.SubscriberId, o.Response)).ToList(), cancellationToken);

    /// <summary>One UPDATE for up to 200 outcomes; returns the ids it wrote. Parameters are made by EF's own type
    /// mappings, so ids, dates and the claim id are written exactly as EF writes them on either database.</summary>
    private async Task<List<long>> WriteOutcomesAsync(Guid claimId, DeliveryOutcome[] outcomes, DateTime now, CancellationToken cancellationToken)
    {
        await using var command = await HandWrittenCommand.OpenAsync(db, cancellationToken);
        var rows = string.Join(", ", outcomes.Select(o =>
            $"({command.Add(o.DeliveryId)}, {command.Add((int)o.Status)}, {command.Add(o.Response)}, {command.Add(o.RetryAt)}, {command.Add(o.NotTried ? 1 : 0)}, {command.Add(o.SubscriberId)})"));
        // VALUES columns are column1, column2, … on both databases.
        var sql = $"""
            UPDATE deliveries SET
                status = v.column2, relay_response = v.column3, retry_at = v.column4, claim_id = NULL, lease_until = NULL,
                attempts = deliveries.attempts - v.column5,
                subscriber_id = CASE WHEN v.column6 IS NULL THEN NULL ELSE deliveries.subscriber_id END,
                sent_at = CASE WHEN v.column2 = {(int)DeliveryStatus.Sent} THEN {command.Add(now)} ELSE deliveries.sent_at END
            FROM (VALUES {rows}) AS v
            WHERE deliveries.id = v.column1 AND deliveries.claim_id = {command.Add(claimId)}
            RETURNING deliveries.id
            """;
        var written = new List<long>(outcomes.Length);
        await using var reader = await command.Sql(sql).ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) written.Add(reader.GetInt64(0));
        return written;
    }

    /// <summary>Gives back claimed rows that were not tried (shutdown, pause, a lease in doubt): they go out later without
    /// counting an attempt — or, if the dispatch was cancelled meanwhile, they are skipped. With requeue, the sweeper
    /// queues them again at its next pass; without, whatever stopped the batch re-drives them (resume, the next start).</summary>
    public Task ReleaseAsync(Claim claim, IEnumerable<long> deliveryIds, bool requeue, CancellationToken cancellationToken)
    {
        var ids = deliveryIds.ToList();
        if (ids.Count == 0) return Task.CompletedTask;
        return Release(db.Deliveries.Where(d => ids.Contains(d.Id) && d.ClaimId == claim.Id), countAttempt: false,
            retryAt: requeue ? Now : null, cancellationToken);
    }

    /// <summary>Back to pending (or skipped, in a cancelled dispatch), unleased. Used for untried rows and for expired leases.</summary>
    public Task<int> Release(IQueryable<Delivery> rows, bool countAttempt, DateTime? retryAt, CancellationToken cancellationToken) =>
        rows.ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, d => db.Dispatches.Any(x => x.Id == d.DispatchId && x.Status == DispatchStatus.Cancelled)
                ? DeliveryStatus.Skipped : DeliveryStatus.Pending)
            .SetProperty(d => d.RelayResponse, d => db.Dispatches.Any(x => x.Id == d.DispatchId && x.Status == DispatchStatus.Cancelled)
                ? "cancelled" : d.RelayResponse)
            .SetProperty(d => d.ClaimId, (Guid?)null)
            .SetProperty(d => d.LeaseUntil, (DateTime?)null)
            .SetProperty(d => d.RetryAt, retryAt)
            .SetProperty(d => d.Attempts, d => countAttempt ? d.Attempts : d.Attempts - 1), cancellationToken);

    /// <summary>Notes that a worker picked up work of this dispatch, so the sweeper does not think it stalled — at most
    /// every few seconds per process: the sweeper waits Dispatching:StallAfter (30 s), and every batch writing the same
    /// dispatch row would make the batches queue for it.</summary>
    public Task TouchAsync(long dispatchId, CancellationToken cancellationToken)
    {
        var now = Now;
        if (!touches.ShouldTouch(dispatchId, now)) return Task.CompletedTask;
        return db.Dispatches.Where(d => d.Id == dispatchId).ExecuteUpdateAsync(s => s.SetProperty(d => d.LastActivityAt, now), cancellationToken);
    }

    /// <summary>Marks the dispatch completed once no delivery is pending or in flight.</summary>
    /// <remarks>Asked after every batch, so it looks for the newest pending row, then the newest in flight: PostgreSQL
    /// keeps a row's old index entries (pending, then sending) until a vacuum, and those are the oldest rows of the
    /// dispatch. "Any row not yet final" walked them from the oldest end, more of them with every batch.</remarks>
    public async Task<bool> CompleteIfDoneAsync(long dispatchId, CancellationToken cancellationToken)
    {
        foreach (var status in (DeliveryStatus[])[DeliveryStatus.Pending, DeliveryStatus.Sending])
            if (await db.Deliveries.Where(d => d.DispatchId == dispatchId && d.Status == status)
                    .OrderByDescending(d => d.Id).Select(d => d.Id).FirstOrDefaultAsync(cancellationToken) != 0)
                return false;
        var now = Now;
        // The event with the change: whoever completes the dispatch (one UPDATE wins) tells of it, in one transaction.
        await using var transaction = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var completed = await db.Dispatches.Where(d => d.Id == dispatchId && d.Status == DispatchStatus.Sending)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DispatchStatus.Completed).SetProperty(d => d.FinishedAt, now), cancellationToken) > 0;
        if (completed)
        {
            db.IntegrationEvents.Add(Events.IntegrationEvents.Of(clock, Events.IntegrationEvents.DispatchCompleted, new { dispatchId, finishedAt = now }));
            await db.SaveChangesAsync(cancellationToken);
        }
        if (transaction is not null) await transaction.CommitAsync(cancellationToken);
        return completed;
    }

    /// <summary>Its queries, against dispatch and delivery 0 (see <see cref="SendPathWarmUp"/>): they match no row. The
    /// LINQ ones, which EF compiles at their first run, and the hand-written claim and outcome write, whose first run
    /// compiles their parameters' code and, for the claim, the retry pipeline (Polly builds it at its first use; here the
    /// one that gives up, so a database that is away does not hold the start).</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var none = new Messages.SendUrgentBatch(SendPathWarmUp.None, SendPathWarmUp.None, SendPathWarmUp.None);
        await DatabaseRetry.Pipeline.ExecuteAsync(token => new ValueTask<Claim>(ClaimAsync(none, Guid.Empty, Guid.Empty, Now, Now, retry: false, token)),
            cancellationToken);
        await WriteOutcomesAsync(Guid.Empty, [new DeliveryOutcome(SendPathWarmUp.None, SendPathWarmUp.None, DeliveryStatus.Sent, "warm-up")], Now,
            cancellationToken);
        await TouchAsync(SendPathWarmUp.None, cancellationToken);
        await CompleteIfDoneAsync(SendPathWarmUp.None, cancellationToken);
        await ReleaseAsync(new Claim(Guid.Empty, SendPathWarmUp.None, default, [], Guid.Empty), [SendPathWarmUp.None], requeue: false, cancellationToken);
    }

    /// <summary>When a temporarily failed delivery may be tried again: exponential back-off with ±20 % jitter, so
    /// retries of one batch do not arrive at the relay together. Null once MaxAttempts or RetryFor is used up.</summary>
    public DateTime? RetryAtFor(int attempts, DateTime? dispatchStartedAt)
    {
        var o = options.Value;
        if (attempts >= o.MaxAttempts || TooOld(dispatchStartedAt)) return null;
        var delay = o.RetryBaseDelay * Math.Pow(2, Math.Max(0, attempts - 1));
        if (delay > o.RetryMaxDelay) delay = o.RetryMaxDelay;
        return Now + delay * (0.8 + Random.Shared.NextDouble() * 0.4);
    }

    /// <summary>When to look again after the relay was unreachable: every RetryBaseDelay (with jitter) until RetryFor is
    /// used up, however long the outage — the circuit breaker keeps those looks from reaching a dead relay.</summary>
    public DateTime? RelayRetryAt(DateTime? dispatchStartedAt) =>
        TooOld(dispatchStartedAt) ? null : Now + options.Value.RetryBaseDelay * (0.8 + Random.Shared.NextDouble() * 0.4);

    private bool TooOld(DateTime? dispatchStartedAt) => dispatchStartedAt is { } started && Now - started > options.Value.RetryFor;
}

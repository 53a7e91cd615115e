using Dispatcher.Data;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>A claimed delivery with what sending it needs. Email is null when the person was erased.</summary>
public sealed record DeliveryRecipient(
    long DeliveryId, long? SubscriberId, int ListId, int Attempts,
    string? Email, string? Name, SubscriptionStatus? Status, Cadence? Cadence, bool? Alerts);

/// <summary>Deliveries this worker holds a lease on, until LeaseUntil unless renewed (see LeaseKeeper).</summary>
public sealed record Claim(Guid Id, long DispatchId, DateTime LeaseUntil, IReadOnlyList<DeliveryRecipient> Rows);

/// <summary>The final or temporary state of one delivery after an attempt. NotTried: the relay was unreachable, so the
/// attempt the claim counted is given back — a relay outage must not use up a person's retries.</summary>
public readonly record struct DeliveryOutcome(long DeliveryId, long? SubscriberId, DeliveryStatus Status, string? Response,
    DateTime? RetryAt = null, bool NotTried = false);

/// <summary>Reads and writes Delivery rows: claim with a lease, record outcomes, release what was not tried, complete the dispatch.
/// Every write after a claim is guarded by the claim id, so a worker whose lease ran out cannot overwrite a newer claim.</summary>
public sealed class DeliveryLedger(
    DispatcherDb db, TimeProvider clock, TouchThrottle touches, IOptions<DispatchingOptions> options, ILogger<DeliveryLedger> logger)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>Leases the claimable deliveries of the batch's range. A second message for the same range claims nothing,
    /// because the UPDATE only takes rows that are still pending (PostgreSQL re-checks the row after a concurrent update).</summary>
    public async Task<Claim> ClaimAsync(ISendBatch batch, CancellationToken cancellationToken)
    {
        // Both steps are retried with the same claim id through a database outage: rows the UPDATE took (even when its
        // answer was lost) are found by the SELECT, instead of sitting leased to nobody until the lease runs out.
        var claimId = Guid.NewGuid();
        var tries = 0;
        DateTime? firstLeaseUntil = null; // rows the first try took keep its (earliest) lease
        return await DatabaseRetry.Pipeline.ExecuteAsync(token =>
        {
            var now = Now;
            firstLeaseUntil ??= now + options.Value.LeaseDuration;
            return new ValueTask<Claim>(ClaimAsync(batch, claimId, now, firstLeaseUntil.Value, retry: tries++ > 0, token));
        }, cancellationToken);
    }

    private async Task<Claim> ClaimAsync(ISendBatch batch, Guid claimId, DateTime now, DateTime firstLeaseUntil, bool retry, CancellationToken cancellationToken)
    {
        var leaseUntil = now + options.Value.LeaseDuration;
        var claimed = await db.Deliveries
            .Where(d => d.DispatchId == batch.DispatchId && d.Id >= batch.FirstDeliveryId && d.Id <= batch.LastDeliveryId
                        && d.Status == DeliveryStatus.Pending && (d.RetryAt == null || d.RetryAt <= now)
                        // In the same statement as the claim, so nothing is claimed once a pause or cancel has committed.
                        && db.Dispatches.Any(x => x.Id == d.DispatchId && x.Status == DispatchStatus.Sending))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, DeliveryStatus.Sending)
                .SetProperty(d => d.ClaimId, claimId)
                .SetProperty(d => d.LeaseUntil, leaseUntil)
                .SetProperty(d => d.RetryAt, (DateTime?)null)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
        // Nothing taken — unless this is a retry, when the first try's UPDATE may have taken the rows.
        if (claimed == 0 && !retry) return new Claim(claimId, batch.DispatchId, firstLeaseUntil, []);

        var rows = await (
            from d in HeldBy(claimId, batch.DispatchId, batch.FirstDeliveryId, batch.LastDeliveryId)
            join s in db.Subscribers on d.SubscriberId equals s.Id into people
            from s in people.DefaultIfEmpty()
            join sub in db.Subscriptions on new { S = d.SubscriberId ?? 0, L = d.ListId } equals new { S = sub.SubscriberId, L = sub.ListId } into subscriptions
            from sub in subscriptions.DefaultIfEmpty()
            orderby d.Id
            select new DeliveryRecipient(
                d.Id, d.SubscriberId, d.ListId, d.Attempts,
                s == null ? null : s.Email, s == null ? null : s.Name,
                sub == null ? null : sub.Status, sub == null ? null : sub.Cadence, sub == null ? null : sub.Alerts))
            .AsNoTracking()
            .ToListAsync(cancellationToken);
        return new Claim(claimId, batch.DispatchId, firstLeaseUntil, rows);
    }

    /// <summary>Moves the lease of the claim's rows on to leaseUntil; returns how many it still held. Every row whose
    /// outcome the batch has not written is still in flight, so fewer than those means some were taken over.</summary>
    public Task<int> RenewAsync(Claim claim, DateTime leaseUntil, CancellationToken cancellationToken) =>
        HeldBy(claim.Id, claim.DispatchId, claim.Rows[0].DeliveryId, claim.Rows[^1].DeliveryId)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, leaseUntil), cancellationToken);

    /// <summary>The rows a claim holds in an id range of a dispatch. Status too, though the claim id alone would do: so
    /// the (dispatch, status, id) index covers the range. Without it SQLite walked every row of the dispatch for each
    /// batch (no statistics: it takes dispatch_id as selective).</summary>
    private IQueryable<Delivery> HeldBy(Guid claimId, long dispatchId, long firstId, long lastId) =>
        db.Deliveries.Where(d => d.DispatchId == dispatchId && d.Status == DeliveryStatus.Sending
                                 && d.Id >= firstId && d.Id <= lastId && d.ClaimId == claimId);

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
            await db.Database.OpenConnectionAsync(cancellationToken); // for the commands written by hand; nested opens are counted
            try
            {
                foreach (var chunk in outcomes.Chunk(200))
                    written.UnionWith(await WriteOutcomesAsync(claim.Id, chunk, now, cancellationToken));
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }

            if (transaction is not null)
            {
                await RecordBouncesAsync(outcomes, written, now, cancellationToken);
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
    private async Task RecordBouncesAsync(IReadOnlyCollection<DeliveryOutcome> outcomes, HashSet<long> written, DateTime now, CancellationToken cancellationToken)
    {
        var bounces = outcomes.Where(o => o.Status == DeliveryStatus.Bounced && written.Contains(o.DeliveryId)).ToList();
        foreach (var outcome in bounces)
            db.Bounces.Add(new Bounces.Bounce
            {
                SubscriberId = outcome.SubscriberId, DeliveryId = outcome.DeliveryId, Kind = Bounces.BounceKind.Hard,
                Reason = outcome.Response, Source = "relay", CreatedAt = now,
            });
        if (db.ChangeTracker.HasChanges()) await db.SaveChangesAsync(cancellationToken);
        var bounced = bounces.Where(o => o.SubscriberId is not null).Select(o => o.SubscriberId!.Value).ToList();
        if (bounced.Count > 0) await MarkBouncedAsync(bounced, cancellationToken);
    }

    /// <summary>One UPDATE for up to 200 outcomes; returns the ids it wrote. Parameters are made by EF's own type
    /// mappings, so ids, dates and the claim id are written exactly as EF writes them on either database.</summary>
    private async Task<List<long>> WriteOutcomesAsync(Guid claimId, DeliveryOutcome[] outcomes, DateTime now, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        await using var command = connection.CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var mappings = db.GetService<IRelationalTypeMappingSource>();
        var p = db.IsPostgres ? "@" : "$";
        var index = 0;
        string Add(Type type, object? value)
        {
            var name = $"{p}p{index++}";
            command.Parameters.Add(mappings.FindMapping(type)!.CreateParameter(command, name, value, nullable: true));
            return name;
        }

        var rows = string.Join(", ", outcomes.Select(o =>
            $"({Add(typeof(long), o.DeliveryId)}, {Add(typeof(int), (int)o.Status)}, {Add(typeof(string), o.Response)}, {Add(typeof(DateTime), o.RetryAt)}, {Add(typeof(int), o.NotTried ? 1 : 0)})"));
        // VALUES columns are column1, column2, … on both databases.
        command.CommandText = $"""
            UPDATE deliveries SET
                status = v.column2, relay_response = v.column3, retry_at = v.column4, claim_id = NULL, lease_until = NULL,
                attempts = deliveries.attempts - v.column5,
                sent_at = CASE WHEN v.column2 = {(int)DeliveryStatus.Sent} THEN {Add(typeof(DateTime), now)} ELSE deliveries.sent_at END
            FROM (VALUES {rows}) AS v
            WHERE deliveries.id = v.column1 AND deliveries.claim_id = {Add(typeof(Guid), claimId)}
            RETURNING deliveries.id
            """;
        var written = new List<long>(outcomes.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
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

    /// <summary>A relay that says the mailbox does not exist: never mail that address again, on any list.</summary>
    private Task MarkBouncedAsync(List<long> subscriberIds, CancellationToken cancellationToken) =>
        db.Subscriptions
            .Where(s => subscriberIds.Contains(s.SubscriberId) && (s.Status == SubscriptionStatus.Confirmed || s.Status == SubscriptionStatus.Unconfirmed))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriptionStatus.Bounced).SetProperty(x => x.UpdatedAt, Now), cancellationToken);

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
    public async Task<bool> CompleteIfDoneAsync(long dispatchId, CancellationToken cancellationToken)
    {
        if (await db.Deliveries.AnyAsync(d => d.DispatchId == dispatchId && d.Status < DeliveryStatus.Sent, cancellationToken)) return false;
        var now = Now;
        return await db.Dispatches.Where(d => d.Id == dispatchId && d.Status == DispatchStatus.Sending)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DispatchStatus.Completed).SetProperty(d => d.FinishedAt, now), cancellationToken) > 0;
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

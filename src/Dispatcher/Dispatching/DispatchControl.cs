using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;
using Dispatcher.Mail;

namespace Dispatcher.Dispatching;

public enum ControlOutcome { Done, NotFound, Forbidden, Conflict }

/// <summary>Pause, resume and cancel, for every kind of dispatch. Each is a conditional UPDATE of the dispatch's
/// status; senders look at it before every batch and every quarter second while sending, so a pause stops new sends
/// within a second while what is in flight finishes. Cancel marks everything not yet sent as skipped.</summary>
public sealed class DispatchControl(DispatcherDb db, BatchPublisher batches, DeliveryLedger ledger, DispatchAccess access, TimeProvider clock)
{
    public async Task<(ControlOutcome Outcome, string? Detail)> PauseAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        if (await CheckAsync(id, caller, cancellationToken) is { } refused) return refused;
        var paused = await db.Dispatches.Where(d => d.Id == id && (d.Status == DispatchStatus.Sending || d.Status == DispatchStatus.Queued))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DispatchStatus.Paused), cancellationToken);
        return await AfterAsync(id, paused, caller, "dispatch.paused", "Only a queued or sending dispatch can be paused.", cancellationToken);
    }

    public async Task<(ControlOutcome Outcome, string? Detail)> ResumeAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        if (await CheckAsync(id, caller, cancellationToken) is { } refused) return refused;
        var now = clock.GetUtcNow().UtcDateTime;
        var resumed = await db.Dispatches.Where(d => d.Id == id && d.Status == DispatchStatus.Paused)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Status, d => d.PlannedAt == null ? DispatchStatus.Queued : DispatchStatus.Sending)
                .SetProperty(d => d.LastActivityAt, now), cancellationToken);
        var answer = await AfterAsync(id, resumed, caller, "dispatch.resumed", "Only a paused dispatch can be resumed.", cancellationToken);
        if (answer.Outcome != ControlOutcome.Done) return answer;

        // The batches consumed while it was paused were dropped: publish what is left, from the rows.
        var dispatch = await db.Dispatches.AsNoTracking().SingleAsync(d => d.Id == id, cancellationToken);
        if (dispatch.Status == DispatchStatus.Sending && await batches.PublishPendingAsync(id, dispatch.Lane, cancellationToken) == 0)
            await ledger.CompleteIfDoneAsync(id, cancellationToken);
        return answer;
    }

    public async Task<(ControlOutcome Outcome, string? Detail)> CancelAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        if (await CheckAsync(id, caller, cancellationToken) is { } refused) return refused;
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var cancelled = await db.Dispatches
            .Where(d => d.Id == id && (d.Status == DispatchStatus.Queued || d.Status == DispatchStatus.Sending || d.Status == DispatchStatus.Paused))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DispatchStatus.Cancelled).SetProperty(d => d.FinishedAt, now), cancellationToken);
        if (cancelled > 0)
            await db.Deliveries.Where(d => d.DispatchId == id && d.Status == DeliveryStatus.Pending)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.Status, DeliveryStatus.Skipped)
                    .SetProperty(d => d.RetryAt, (DateTime?)null)
                    .SetProperty(d => d.RelayResponse, "cancelled")
                    // A row written while its person was being erased is unlinked at its turn; cancelled, it has none.
                    .SetProperty(d => d.SubscriberId, d => db.Subscribers.Any(x => x.Id == d.SubscriberId) ? d.SubscriberId : null), cancellationToken);
        var answer = await AfterAsync(id, cancelled, caller, "dispatch.cancelled", "Only a queued, sending or paused dispatch can be cancelled.", cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return answer;
    }

    /// <summary>Organisers control what they may see (<see cref="DispatchAccess"/>): the dispatches of statements and
    /// alerts to lists they are granted. Publishers control nothing (their endpoints need an organiser).</summary>
    private async Task<(ControlOutcome Outcome, string? Detail)?> CheckAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        if (!await db.Dispatches.AnyAsync(d => d.Id == id, cancellationToken)) return (ControlOutcome.NotFound, $"There is no dispatch {id}.");
        if (caller.IsAdmin || (caller.Role == Role.Organiser && await access.MaySeeAsync(id, caller, cancellationToken))) return null;
        return (ControlOutcome.Forbidden, "This key is not granted every list of this dispatch.");
    }

    private async Task<(ControlOutcome Outcome, string? Detail)> AfterAsync(long id, int changed, Caller caller, string action, string conflict, CancellationToken cancellationToken)
    {
        if (changed == 0) return (ControlOutcome.Conflict, conflict);
        db.Audit.Add(AuditLog.Entry(clock, caller, action, $"dispatch:{id}"));
        if (action == Events.IntegrationEvents.DispatchCancelled)
            db.IntegrationEvents.Add(Events.IntegrationEvents.Of(clock, Events.IntegrationEvents.DispatchCancelled, new { dispatchId = id, by = caller.Actor }));
        await db.SaveChangesAsync(cancellationToken);
        return (ControlOutcome.Done, null);
    }
}

using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

/// <summary>Erases a person: their row, subscriptions and name go; relay answers and audit details that quote their
/// address are scrubbed; their deliveries stay (so dispatch counts stay true) without anything that points at them.
/// Only a salted hash of the address remains, in the suppression list, so they are never mailed again.</summary>
public sealed class SubscriberEraser(DispatcherDb db, SuppressionList suppressions, SuppressionSalt salt, TimeProvider clock)
{
    public async Task<bool> EraseAsync(string email, Caller caller, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var subscriber = await db.Subscribers.SingleOrDefaultAsync(s => s.Email == email, cancellationToken);
        if (subscriber is null) return false;

        await db.Deliveries.Where(d => d.SubscriberId == subscriber.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.RelayResponse, (string?)null).SetProperty(d => d.SubscriberId, (long?)null), cancellationToken);
        await db.Bounces.Where(b => b.SubscriberId == subscriber.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.Reason, (string?)null), cancellationToken);
        await db.Audit.Where(a => a.Details != null && a.Details.Contains(email))
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Details, a => a.Details!.Replace(email, "[erased]")), cancellationToken);

        db.Subscribers.Remove(subscriber); // subscriptions cascade; bounces keep their rows, unlinked (deliveries: above)
        await suppressions.AddAsync(email, "erased", cancellationToken);
        // What was told of them and not yet delivered forgets their address too.
        await db.IntegrationEvents.Where(e => e.DataJson.Contains(email))
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.DataJson, e => e.DataJson.Replace(email, "[erased]")), cancellationToken);
        await db.WebhookDeliveries.Where(d => d.Body.Contains(email))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Body, d => d.Body.Replace(email, "[erased]")), cancellationToken);
        db.Audit.Add(AuditLog.Entry(clock, caller, "subscriber.erased", $"subscriber:{subscriber.Id}",
            $"suppressed as {salt.Hash(email)[..12]}…"));
        db.IntegrationEvents.Add(Events.IntegrationEvents.Of(clock, Events.IntegrationEvents.SubscriberErased,
            new { subscriberId = subscriber.Id, suppressionHash = salt.Hash(email) }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }
}

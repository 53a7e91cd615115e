using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Lists;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

/// <summary>What adding someone to a list came to.</summary>
public enum AddOutcome
{
    Created,
    Updated,

    /// <summary>The address bounced or complained: it is never mailed again.</summary>
    Refused,
}

/// <summary>Adds people to lists: the one place that decides a new subscription's status, shared by the API, imports
/// and the public sign-up form.</summary>
public sealed class SubscriptionService(DispatcherDb db, TimeProvider clock)
{
    public async Task<(AddOutcome Outcome, Subscriber Subscriber, Subscription Subscription)> AddAsync(
        MailingList list, string email, string? name, Cadence? cadence, bool? alerts, bool confirmed, Caller caller,
        CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var subscriber = await db.Subscribers.Include(s => s.Subscriptions.Where(x => x.ListId == list.Id))
            .SingleOrDefaultAsync(s => s.Email == email, cancellationToken);
        if (subscriber is null)
        {
            subscriber = new Subscriber { Email = email, CreatedAt = now };
            db.Subscribers.Add(subscriber);
        }
        if (!string.IsNullOrWhiteSpace(name)) subscriber.Name = name.Trim();

        var subscription = subscriber.Subscriptions.SingleOrDefault(s => s.ListId == list.Id);
        var outcome = AddOutcome.Updated;
        if (subscription is null)
        {
            subscription = new Subscription { ListId = list.Id, CreatedAt = now, Status = SubscriptionStatus.Unsubscribed };
            subscriber.Subscriptions.Add(subscription);
            outcome = AddOutcome.Created;
        }
        else if (subscription.Status is SubscriptionStatus.Bounced or SubscriptionStatus.Complained)
        {
            return (AddOutcome.Refused, subscriber, subscription);
        }

        var startsOver = subscription.Status == SubscriptionStatus.Unsubscribed;
        if (startsOver || (confirmed && subscription.Status == SubscriptionStatus.Unconfirmed))
        {
            subscription.Status = confirmed || !list.DoubleOptIn ? SubscriptionStatus.Confirmed : SubscriptionStatus.Unconfirmed;
            subscription.ConfirmedAt = subscription.Status == SubscriptionStatus.Confirmed ? now : null;
            subscription.UnsubscribedAt = null;
        }
        if (cadence is { } c) subscription.Cadence = c;
        if (alerts is { } a) subscription.Alerts = a;
        subscription.UpdatedAt = now;

        db.Audit.Add(AuditLog.Entry(clock, caller, outcome == AddOutcome.Created ? "subscription.created" : "subscription.updated",
            $"list:{list.Slug}", $"{email} ({subscription.Status.ToString().ToLowerInvariant()})"));
        await db.SaveChangesAsync(cancellationToken);
        return (outcome, subscriber, subscription);
    }
}

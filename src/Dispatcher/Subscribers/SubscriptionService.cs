using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Events;
using Dispatcher.Dispatching;
using Dispatcher.Lists;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Subscribers;

public enum AddOutcome
{
    Created,
    Updated,

    /// <summary>Suppressed, bounced or complained: never mailed again unless they sign up and confirm themselves.</summary>
    Refused,
}

public sealed record AddResult(AddOutcome Outcome, Subscriber Subscriber, Subscription Subscription, string? Reason = null);

/// <summary>The one place that decides a subscription's status: admin additions, the public sign-up form, confirmation
/// links, unsubscribing and the preferences page. Every change is audited in the same transaction.</summary>
public sealed class SubscriptionService(
    DispatcherDb db,
    SuppressionList suppressions,
    Confirmations confirmations,
    Welcomes welcomes,
    TimeProvider clock,
    IOptions<SubscribersOptions> options)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>An admin adds someone. Confirmed when the admin vouches (or the list has no double opt-in);
    /// otherwise unconfirmed, and a confirmation email goes out.</summary>
    /// <param name="welcome">Send the list's welcome when this confirms the subscription (as an import with ?welcome=true).</param>
    public async Task<AddResult> AddAsync(MailingList list, string email, string? name, Cadence? cadence, bool? alerts, bool confirmed,
        Caller caller, CancellationToken cancellationToken, ReaderDetails? details = null, bool welcome = false)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (subscriber, subscription, created) = await FindOrCreateAsync(list, email, cancellationToken);
        if (await suppressions.ContainsAsync(email, cancellationToken))
            return new AddResult(AddOutcome.Refused, subscriber, subscription, "This address was erased and is suppressed; only the person's own confirmed sign-up lifts it.");
        if (subscription.Status is SubscriptionStatus.Bounced or SubscriptionStatus.Complained)
            return new AddResult(AddOutcome.Refused, subscriber, subscription, $"This address is marked {StatusName(subscription.Status)} and is never mailed again.");

        if (!string.IsNullOrWhiteSpace(name)) subscriber.Name = name.Trim();
        details?.ApplyTo(subscriber);
        var wasConfirmed = !created && subscription.Status == SubscriptionStatus.Confirmed;
        var startsOver = created || subscription.Status == SubscriptionStatus.Unsubscribed;
        if (startsOver)
            subscription.Status = confirmed || !list.DoubleOptIn ? SubscriptionStatus.Confirmed : SubscriptionStatus.Unconfirmed;
        else if (confirmed && subscription.Status == SubscriptionStatus.Unconfirmed)
            subscription.Status = SubscriptionStatus.Confirmed;
        await ApplyAsync(subscription, cadence, alerts, startsOver, cancellationToken);

        db.Audit.Add(AuditLog.Entry(clock, caller, created ? "subscription.created" : "subscription.updated",
            $"list:{list.Slug}", $"{email} ({StatusName(subscription.Status)})"));
        await db.SaveChangesAsync(cancellationToken);
        if (!wasConfirmed && subscription.Status == SubscriptionStatus.Confirmed) await TellConfirmedAsync(subscriber, list, "added", cancellationToken);
        var dispatch = subscription.Status == SubscriptionStatus.Unconfirmed ? await QueueConfirmationAsync(subscriber, subscription, cancellationToken) : null;
        var welcomed = welcome && !wasConfirmed && subscription.Status == SubscriptionStatus.Confirmed
            ? await welcomes.AddAsync(list, [subscriber.Id], null, cancellationToken)
            : null;
        await transaction.CommitAsync(cancellationToken);
        await confirmations.PublishAsync(dispatch, cancellationToken);
        await welcomes.PublishAsync(welcomed, cancellationToken);
        return new AddResult(created ? AddOutcome.Created : AddOutcome.Updated, subscriber, subscription);
    }

    /// <summary>Someone signs up on the public form. The page says the same whatever happens here, so it never
    /// reveals whether the address was known; the email tells them (confirm, or "you are already subscribed").
    /// A stranger's sign-up never changes a confirmed subscription, nor brings back someone who left.</summary>
    /// <param name="details">Their language, time zone and attributes: kept for someone new only — whoever types an
    /// address in must not change the details of a person already here (their preferences page does).</param>
    public async Task SignUpAsync(MailingList list, string email, string? name, Cadence cadence, bool alerts, CancellationToken cancellationToken,
        ReaderDetails? details = null)
    {
        var suppressed = await suppressions.ContainsAsync(email, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var (subscriber, subscription, created) = await FindOrCreateAsync(list, email, cancellationToken);
        if (subscriber.Id == 0 && !string.IsNullOrWhiteSpace(name)) subscriber.Name = name.Trim();
        if (subscriber.Id == 0) details?.ApplyTo(subscriber);
        var wasConfirmed = subscription.Status == SubscriptionStatus.Confirmed;

        if (!wasConfirmed)
        {
            // Only a confirmed sign-up lifts a suppression or a bounce, and someone who left chose to: a stranger typing
            // their address in must not sign them up again. Those always go through double opt-in.
            var needsConfirmation = list.DoubleOptIn || suppressed
                || subscription.Status is SubscriptionStatus.Bounced or SubscriptionStatus.Complained
                || (!created && subscription.Status == SubscriptionStatus.Unsubscribed);
            var startsOver = subscription.Status != SubscriptionStatus.Unconfirmed;
            subscription.Status = needsConfirmation ? SubscriptionStatus.Unconfirmed : SubscriptionStatus.Confirmed;
            await ApplyAsync(subscription, cadence, alerts, startsOver, cancellationToken);
        }
        db.Audit.Add(AuditLog.Entry(clock, "subscriber", "subscription.signup", $"list:{list.Slug}",
            $"{email} ({(created ? "new" : StatusName(subscription.Status))})"));
        await db.SaveChangesAsync(cancellationToken);
        if (!wasConfirmed && subscription.Status == SubscriptionStatus.Confirmed) await TellConfirmedAsync(subscriber, list, "signed up", cancellationToken);

        // Unconfirmed: "please confirm". Confirmed before: "you are already subscribed". Just confirmed on a single
        // opt-in list: nothing to say.
        var dispatch = wasConfirmed || subscription.Status == SubscriptionStatus.Unconfirmed
            ? await QueueConfirmationAsync(subscriber, subscription, cancellationToken)
            : null;
        var welcome = !wasConfirmed && subscription.Status == SubscriptionStatus.Confirmed
            ? await welcomes.AddAsync(list, [subscriber.Id], null, cancellationToken)
            : null;
        await transaction.CommitAsync(cancellationToken);
        await confirmations.PublishAsync(dispatch, cancellationToken);
        await welcomes.PublishAsync(welcome, cancellationToken);
    }

    /// <summary>The person followed their confirmation link. Returns the subscription, or null when the link is not
    /// valid any more (the person or list is gone).</summary>
    public async Task<Subscription?> ConfirmAsync(SubscriberToken token, CancellationToken cancellationToken)
    {
        var subscription = await FindAsync(token.SubscriberId, token.ListId, cancellationToken);
        if (subscription is null) return null;
        Dispatch? welcome = null;
        if (subscription.Status != SubscriptionStatus.Confirmed)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (subscription.Status != SubscriptionStatus.Unconfirmed) subscription.DigestCursor = await NewestStatementAsync(cancellationToken);
            subscription.Status = SubscriptionStatus.Confirmed;
            subscription.ConfirmedAt = Now;
            subscription.UnsubscribedAt = null;
            subscription.UpdatedAt = Now;
            db.Audit.Add(AuditLog.Entry(clock, "subscriber", "subscription.confirmed", $"list:{subscription.List!.Slug}", subscription.Subscriber!.Email));
            await db.SaveChangesAsync(cancellationToken);
            await TellConfirmedAsync(subscription.Subscriber, subscription.List, "confirmed by email", cancellationToken);
            welcome = await welcomes.AddAsync(subscription.List, [subscription.SubscriberId], null, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        await welcomes.PublishAsync(welcome, cancellationToken);
        await suppressions.LiftAsync(subscription.Subscriber!.Email, cancellationToken);
        return subscription;
    }

    /// <summary>What an unsubscribe link leaves: its list — or, for a digest's link, every list of that cadence.
    /// Empty when the person was erased or the list deleted.</summary>
    public async Task<List<Subscription>> ForUnsubscribeAsync(SubscriberToken token, CancellationToken cancellationToken) =>
        token.DigestCadence is { } cadence
            ? await OfCadenceAsync(token.SubscriberId, cadence, cancellationToken)
            : await FindAsync(token.SubscriberId, token.ListId, cancellationToken) is { } subscription ? [subscription] : [];

    /// <summary>subscriber.confirmed, in the caller's transaction (the subscription's change is saved with it).</summary>
    private Task TellConfirmedAsync(Subscriber subscriber, MailingList list, string how, CancellationToken cancellationToken)
    {
        db.IntegrationEvents.Add(IntegrationEvents.Of(clock, IntegrationEvents.SubscriberConfirmed,
            new { subscriberId = subscriber.Id, email = subscriber.Email, list = list.Slug, how }));
        return db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Leaves one list (the unsubscribe link, one click or the button).</summary>
    public async Task UnsubscribeAsync(Subscription subscription, string how, CancellationToken cancellationToken)
    {
        if (subscription.Status is not (SubscriptionStatus.Confirmed or SubscriptionStatus.Unconfirmed)) return;
        subscription.Status = SubscriptionStatus.Unsubscribed;
        subscription.UnsubscribedAt = Now;
        subscription.UpdatedAt = Now;
        db.Audit.Add(AuditLog.Entry(clock, "subscriber", "subscription.unsubscribed", $"list:{subscription.List!.Slug}",
            $"{subscription.Subscriber!.Email} ({how})"));
        db.IntegrationEvents.Add(IntegrationEvents.Of(clock, IntegrationEvents.SubscriberUnsubscribed,
            new { subscriberId = subscription.SubscriberId, email = subscription.Subscriber.Email, list = subscription.List.Slug, how }));
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>One line of the preferences form.</summary>
    public sealed record Preference(int ListId, bool Subscribed, Cadence Cadence, bool Alerts);

    /// <summary>The preferences page: the person (holding their signed link) changes their own subscriptions.
    /// Bounced or complained subscriptions are left alone.</summary>
    public async Task UpdatePreferencesAsync(long subscriberId, IReadOnlyCollection<Preference> preferences, CancellationToken cancellationToken)
    {
        var subscriptions = await db.Subscriptions.Include(s => s.List).Include(s => s.Subscriber)
            .Where(s => s.SubscriberId == subscriberId).ToListAsync(cancellationToken);
        foreach (var wanted in preferences)
        {
            var subscription = subscriptions.SingleOrDefault(s => s.ListId == wanted.ListId);
            if (subscription is null || subscription.Status is SubscriptionStatus.Bounced or SubscriptionStatus.Complained) continue;
            var before = (subscription.Status, subscription.Cadence, subscription.Alerts);
            if (!wanted.Subscribed && subscription.Status is SubscriptionStatus.Confirmed or SubscriptionStatus.Unconfirmed)
            {
                subscription.Status = SubscriptionStatus.Unsubscribed;
                subscription.UnsubscribedAt = Now;
            }
            else if (wanted.Subscribed && subscription.Status == SubscriptionStatus.Unsubscribed)
            {
                // Their own link proves they read this address: joining again needs no second confirmation.
                subscription.Status = SubscriptionStatus.Confirmed;
                subscription.ConfirmedAt = Now;
                subscription.UnsubscribedAt = null;
                subscription.DigestCursor = await NewestStatementAsync(cancellationToken);
            }
            if (subscription.Cadence == Cadence.Immediate && wanted.Cadence != Cadence.Immediate)
                subscription.DigestCursor = await NewestStatementAsync(cancellationToken); // they had those at once
            subscription.Cadence = wanted.Cadence;
            subscription.Alerts = wanted.Alerts;
            if (before == (subscription.Status, subscription.Cadence, subscription.Alerts)) continue;
            subscription.UpdatedAt = Now;
            db.Audit.Add(AuditLog.Entry(clock, "subscriber", "subscription.preferences", $"list:{subscription.List!.Slug}",
                $"{subscription.Subscriber!.Email}: {StatusName(subscription.Status)}, {CadenceNames.Of(subscription.Cadence)}, alerts {(subscription.Alerts ? "on" : "off")}"));
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The person's own language and time zone, from their preferences page (checked by the caller); null zone:
    /// the organisation's.</summary>
    public async Task UpdateLocaleAsync(long subscriberId, string language, string? timeZone, CancellationToken cancellationToken)
    {
        var subscriber = await db.Subscribers.SingleOrDefaultAsync(s => s.Id == subscriberId, cancellationToken);
        if (subscriber is null || (subscriber.Language == language && subscriber.TimeZone == timeZone)) return;
        subscriber.Language = language;
        subscriber.TimeZone = timeZone;
        db.Audit.Add(AuditLog.Entry(clock, "subscriber", "subscriber.locale", $"subscriber:{subscriber.Id}", $"{language}, {timeZone ?? "the default time zone"}"));
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<long> NewestStatementAsync(CancellationToken cancellationToken) =>
        await db.Statements.MaxAsync(s => (long?)s.Id, cancellationToken) ?? 0;

    /// <summary>The person's subscriptions with a digest cadence (what a digest's unsubscribe link leaves).</summary>
    public Task<List<Subscription>> OfCadenceAsync(long subscriberId, Cadence cadence, CancellationToken cancellationToken) =>
        db.Subscriptions.Include(s => s.List).Include(s => s.Subscriber)
            .Where(s => s.SubscriberId == subscriberId && s.Cadence == cadence)
            .OrderBy(s => s.List!.Name).ToListAsync(cancellationToken);

    public Task<Subscription?> FindAsync(long subscriberId, int listId, CancellationToken cancellationToken) =>
        db.Subscriptions.Include(s => s.List).Include(s => s.Subscriber)
            .SingleOrDefaultAsync(s => s.SubscriberId == subscriberId && s.ListId == listId, cancellationToken);

    private async Task<(Subscriber Subscriber, Subscription Subscription, bool Created)> FindOrCreateAsync(
        MailingList list, string email, CancellationToken cancellationToken)
    {
        var subscriber = await db.Subscribers.Include(s => s.Subscriptions.Where(x => x.ListId == list.Id))
            .SingleOrDefaultAsync(s => s.Email == email, cancellationToken);
        if (subscriber is null)
        {
            subscriber = new Subscriber { Email = email, CreatedAt = Now };
            db.Subscribers.Add(subscriber);
        }
        var subscription = subscriber.Subscriptions.SingleOrDefault(s => s.ListId == list.Id);
        if (subscription is not null) return (subscriber, subscription, false);
        subscription = new Subscription { ListId = list.Id, CreatedAt = Now, UpdatedAt = Now, Status = SubscriptionStatus.Unsubscribed };
        subscriber.Subscriptions.Add(subscription);
        return (subscriber, subscription, true);
    }

    /// <summary>Sets what the person chose. A subscription that starts (again), or moves from "at once" to a digest,
    /// starts its digest cursor at the newest statement: a digest holds only what is new to the person.</summary>
    private async Task ApplyAsync(Subscription subscription, Cadence? cadence, bool? alerts, bool startsOver, CancellationToken cancellationToken)
    {
        var toDigest = cadence is { } wanted && wanted != Cadence.Immediate && subscription.Cadence == Cadence.Immediate;
        if (startsOver || toDigest) subscription.DigestCursor = await NewestStatementAsync(cancellationToken);
        if (cadence is { } c) subscription.Cadence = c;
        if (alerts is { } a) subscription.Alerts = a;
        subscription.UpdatedAt = Now;
        if (subscription.Status == SubscriptionStatus.Confirmed) subscription.ConfirmedAt ??= Now;
        if (subscription.Status is SubscriptionStatus.Confirmed or SubscriptionStatus.Unconfirmed) subscription.UnsubscribedAt = null;
    }

    /// <summary>Queues a confirmation (or "already subscribed") email unless one went out moments ago.</summary>
    private async Task<Dispatching.Dispatch?> QueueConfirmationAsync(Subscriber subscriber, Subscription subscription, CancellationToken cancellationToken)
    {
        if (subscription.ConfirmationSentAt is { } sent && Now - sent < options.Value.ConfirmationResendAfter) return null;
        subscription.ConfirmationSentAt = Now;
        return await confirmations.AddAsync([(subscriber.Id, subscription.ListId)], cancellationToken);
    }

    public static string StatusName(SubscriptionStatus status) => status.ToString().ToLowerInvariant();
}

using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Bounces;

/// <summary>The "Bounces" section.</summary>
public sealed class BouncesOptions
{
    public const string Section = "Bounces";

    /// <summary>Soft bounces within SoftBounceWindow after which the address counts as bounced.</summary>
    public int SoftBounceLimit { get; set; } = 3;

    public TimeSpan SoftBounceWindow { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>What recording a bounce did.</summary>
public sealed record BounceResult(bool Matched, string? Status);

/// <summary>The bounce policy, in one place for every source — the relay's own answers, the bounce mailbox, the API for
/// relays with webhooks: each report is a bounce row and an audit entry; a hard bounce or a complaint stops all mail to
/// the address at once; soft bounces do so when SoftBounceLimit of them arrive within SoftBounceWindow.</summary>
public sealed class BounceRecorder(DispatcherDb db, TimeProvider clock, IOptions<BouncesOptions> options) : IRelayBounces
{
    public async Task<BounceResult> RecordAsync(string email, BounceKind kind, string? reason, string source, long? deliveryId,
        Caller caller, CancellationToken cancellationToken)
    {
        var subscriber = await db.Subscribers.Include(s => s.Subscriptions).SingleOrDefaultAsync(s => s.Email == email, cancellationToken);
        return subscriber is null
            ? new BounceResult(false, null)
            : await RecordAsync(subscriber, kind, reason, source, deliveryId, null, caller, cancellationToken);
    }

    /// <summary>Records one report about this person and stops their mail if it must; saves.</summary>
    /// <param name="reportKey">Set for mailbox reports: a report recorded before is not recorded again (see Bounce.ReportKey).</param>
    public async Task<BounceResult> RecordAsync(Subscriber subscriber, BounceKind kind, string? reason, string source, long? deliveryId,
        string? reportKey, Caller caller, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var email = subscriber.Email;
        db.Bounces.Add(new Bounce { SubscriberId = subscriber.Id, DeliveryId = deliveryId, Kind = kind, Reason = reason, Source = source, ReportKey = reportKey, CreatedAt = now });
        var stop = kind switch
        {
            BounceKind.Hard => SubscriptionStatus.Bounced,
            BounceKind.Complaint => SubscriptionStatus.Complained,
            _ => await SoftBouncesAsync(subscriber.Id, now, cancellationToken) + 1 >= options.Value.SoftBounceLimit ? SubscriptionStatus.Bounced : (SubscriptionStatus?)null,
        };
        if (stop is { } status)
            foreach (var subscription in subscriber.Subscriptions.Where(s => s.Status is SubscriptionStatus.Confirmed or SubscriptionStatus.Unconfirmed))
            {
                subscription.Status = status;
                subscription.UpdatedAt = now;
            }

        db.Audit.Add(AuditLog.Entry(clock, caller, $"bounce.{kind.ToString().ToLowerInvariant()}", $"subscriber:{subscriber.Id}",
            $"{email} via {source}{(stop is null ? "" : $": now {SubscriptionService.StatusName(stop.Value)}")}"));
        db.IntegrationEvents.Add(Events.IntegrationEvents.Of(clock,
            kind == BounceKind.Complaint ? Events.IntegrationEvents.DeliveryComplained : Events.IntegrationEvents.DeliveryBounced,
            new { subscriberId = subscriber.Id, email, kind = kind.ToString().ToLowerInvariant(), reason, source, deliveryId }));
        await db.SaveChangesAsync(cancellationToken);
        return new BounceResult(true, stop is { } s ? SubscriptionService.StatusName(s) : null);
    }

    /// <summary>The relay's own answers: a 5xx saying the mailbox does not exist (5.1.1) is a hard bounce, recorded
    /// like any other (a bounce row, the audit log) and stopping all mail to the address — for a batch's outcomes at
    /// once, in the caller's transaction, without loading anyone.</summary>
    public async Task RecordAsync(IReadOnlyCollection<RelayBounce> bounces, CancellationToken cancellationToken)
    {
        if (bounces.Count == 0) return;
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var (deliveryId, subscriberId, reason) in bounces)
        {
            db.Bounces.Add(new Bounce { SubscriberId = subscriberId, DeliveryId = deliveryId, Kind = BounceKind.Hard, Reason = reason, Source = "relay", CreatedAt = now });
            if (subscriberId is { } id)
            {
                db.Audit.Add(AuditLog.Entry(clock, Caller.System, "bounce.hard", $"subscriber:{id}", $"via relay: now {SubscriptionService.StatusName(SubscriptionStatus.Bounced)}"));
                db.IntegrationEvents.Add(Events.IntegrationEvents.Of(clock, Events.IntegrationEvents.DeliveryBounced,
                    new { subscriberId = id, kind = "hard", reason, source = "relay", deliveryId }));
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        var stopped = bounces.Where(b => b.SubscriberId is not null).Select(b => b.SubscriberId!.Value).Distinct().ToList();
        if (stopped.Count > 0)
            await db.Subscriptions
                .Where(s => stopped.Contains(s.SubscriberId) && (s.Status == SubscriptionStatus.Confirmed || s.Status == SubscriptionStatus.Unconfirmed))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, SubscriptionStatus.Bounced).SetProperty(x => x.UpdatedAt, now), cancellationToken);
    }

    private Task<int> SoftBouncesAsync(long subscriberId, DateTime now, CancellationToken cancellationToken)
    {
        var since = now - options.Value.SoftBounceWindow;
        return db.Bounces.CountAsync(b => b.SubscriberId == subscriberId && b.Kind == BounceKind.Soft && b.CreatedAt >= since, cancellationToken);
    }
}

using System.Security.Cryptography;
using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Hosting;
using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Dispatcher.Bounces.Mailbox;

public enum MailboxOutcome
{
    /// <summary>A bounce or complaint recorded against the delivery it is about.</summary>
    Recorded,
    Unsubscribed,

    /// <summary>Nothing to do (a delay notice, an out-of-office reply, a report about someone since erased).</summary>
    Ignored,

    /// <summary>Recorded before: the same report read twice.</summary>
    AlreadyDone,

    /// <summary>Not usable: stored in KeptMail for a person to look at.</summary>
    KeptAside,
}

/// <summary>Acts on one message from the bounce mailbox. A report counts only when it leads to one of our deliveries
/// through a signed VERP address or Message-ID (see <see cref="ReturnPaths"/>), so nobody can stop mail to someone
/// else by sending us a made-up bounce. Every outcome is in the database before the reader deletes the message, and
/// doing it twice changes nothing — so a crash in between loses nothing and counts nothing twice.</summary>
public sealed class MailboxReports(
    DispatcherDb db,
    ReturnPaths returnPaths,
    BounceRecorder recorder,
    SubscriberTokens tokens,
    SubscriptionService subscriptions,
    TimeProvider clock,
    IOptions<BounceMailboxOptions> options,
    ILogger<MailboxReports> logger)
{
    public async Task<MailboxOutcome> ProcessAsync(byte[] raw, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(raw));
        MimeMessage message;
        MailboxReport report;
        try
        {
            message = await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), cancellationToken);
            report = ReportParser.Parse(message);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            return await KeepAsync(key, raw, null, $"could not be read: {e.Message}", cancellationToken);
        }

        switch (report.Kind)
        {
            case ReportKind.Ignore:
                logger.LogDebug("Bounce mailbox: ignored {Subject} ({Reason})", LogText.Safe(message.Subject), LogText.Safe(report.Reason, 300));
                return MailboxOutcome.Ignored;
            case ReportKind.Unsubscribe:
                return await UnsubscribeAsync(report, key, raw, message, cancellationToken);
            case ReportKind.Bounce or ReportKind.Complaint:
                return await RecordAsync(report, key, raw, message, cancellationToken);
            default:
                return await KeepAsync(key, raw, message, report.Reason, cancellationToken);
        }
    }

    private async Task<MailboxOutcome> RecordAsync(MailboxReport report, string key, byte[] raw, MimeMessage message, CancellationToken cancellationToken)
    {
        var delivery = await FindDeliveryAsync(report, cancellationToken);
        if (delivery is null)
            return await KeepAsync(key, raw, message, $"a {(report.Kind == ReportKind.Complaint ? "complaint" : "bounce")} that leads to no delivery of ours ({report.Reason})", cancellationToken);
        if (delivery.SubscriberId is not { } subscriberId) return MailboxOutcome.Ignored; // erased since
        if (await db.Bounces.AnyAsync(b => b.ReportKey == key, cancellationToken)) return MailboxOutcome.AlreadyDone;

        var subscriber = await db.Subscribers.Include(s => s.Subscriptions).SingleAsync(s => s.Id == subscriberId, cancellationToken);
        var kind = report.Bounce ?? BounceKind.Soft;
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await recorder.RecordAsync(subscriber, kind, report.Reason, "mailbox", delivery.Id, key, Caller.System, cancellationToken);
            if (kind == BounceKind.Hard)
                // Accepted by the relay, refused later by the receiving server: the dispatch's counts say so.
                await db.Deliveries.Where(d => d.Id == delivery.Id && d.Status == DeliveryStatus.Sent)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeliveryStatus.Bounced).SetProperty(d => d.RelayResponse, report.Reason), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Bounces.AsNoTracking().AnyAsync(b => b.ReportKey == key, CancellationToken.None)) return MailboxOutcome.AlreadyDone; // another reader got there first
            throw;
        }
        logger.LogInformation("Bounce mailbox: {Kind} for delivery {DeliveryId}: {Reason}", kind, delivery.Id, LogText.Safe(report.Reason, 300));
        return MailboxOutcome.Recorded;
    }

    private async Task<MailboxOutcome> UnsubscribeAsync(MailboxReport report, string key, byte[] raw, MimeMessage message, CancellationToken cancellationToken)
    {
        if (!tokens.TryRead(report.Token, TokenPurpose.Unsubscribe, out var token))
            return await KeepAsync(key, raw, message, "an unsubscribe email whose link is not valid", cancellationToken);
        foreach (var subscription in await subscriptions.ForUnsubscribeAsync(token.Value, cancellationToken))
            await subscriptions.UnsubscribeAsync(subscription, "email to the unsubscribe address", cancellationToken);
        return MailboxOutcome.Unsubscribed;
    }

    private async Task<Delivery?> FindDeliveryAsync(MailboxReport report, CancellationToken cancellationToken)
    {
        foreach (var address in report.Addresses)
            if (returnPaths.TryReadEnvelope(address, out var deliveryId)
                && await db.Deliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId, cancellationToken) is { } byEnvelope)
                return byEnvelope;
        foreach (var messageId in report.MessageIds)
            if (returnPaths.TryReadMessageId(messageId, out var sent)
                && await db.Deliveries.AsNoTracking().Where(d => d.DispatchId == sent.Value.DispatchId && d.SubscriberId == sent.Value.SubscriberId)
                    .OrderBy(d => d.Id).FirstOrDefaultAsync(cancellationToken) is { } byMessageId)
                return byMessageId;
        return null;
    }

    private async Task<MailboxOutcome> KeepAsync(string key, byte[] raw, MimeMessage? message, string reason, CancellationToken cancellationToken)
    {
        if (await db.KeptMail.AnyAsync(k => k.ReportKey == key, cancellationToken)) return MailboxOutcome.AlreadyDone;
        var limit = options.Value.KeepBytes;
        db.KeptMail.Add(new KeptMail
        {
            ReportKey = key,
            Reason = Limit(reason),
            From = message?.From.ToString() is { } from ? Limit(MessageFactory.Clean(from)) : null,
            Subject = message?.Subject is { } subject ? Limit(MessageFactory.Clean(subject)) : null,
            Raw = raw.Length <= limit ? raw : raw[..limit],
            Truncated = raw.Length > limit,
            ReceivedAt = clock.GetUtcNow().UtcDateTime,
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.KeptMail.AsNoTracking().AnyAsync(k => k.ReportKey == key, CancellationToken.None)) return MailboxOutcome.AlreadyDone;
            throw;
        }
        logger.LogWarning("Bounce mailbox: kept aside {Subject}: {Reason}", LogText.Safe(message?.Subject), LogText.Safe(reason, 300));
        await PruneKeptAsync(cancellationToken);
        return MailboxOutcome.KeptAside;
    }

    /// <summary>Kept mail is other people's mail (bounces quote messages, people reply to the bounce address): keep it no
    /// longer than Bounces:KeepDays and no more than Bounces:KeepMessages, the newest.</summary>
    private async Task PruneKeptAsync(CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var before = clock.GetUtcNow().UtcDateTime - TimeSpan.FromDays(limits.KeepDays);
        await db.KeptMail.Where(k => k.ReceivedAt < before).ExecuteDeleteAsync(cancellationToken);
        var oldestKept = await db.KeptMail.OrderByDescending(k => k.Id).Skip(limits.KeepMessages - 1).Select(k => (long?)k.Id).FirstOrDefaultAsync(cancellationToken);
        if (oldestKept is { } id) await db.KeptMail.Where(k => k.Id < id).ExecuteDeleteAsync(cancellationToken);
    }

    private static string Limit(string text) => text.Length <= 500 ? text : text[..500];
}

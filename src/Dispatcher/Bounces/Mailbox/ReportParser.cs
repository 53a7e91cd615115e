using System.Text.RegularExpressions;
using Dispatcher.Mail;
using MimeKit;

namespace Dispatcher.Bounces.Mailbox;

public enum ReportKind
{
    /// <summary>A delivery failed: a DSN (RFC 3464) or a plain-text bounce sent to one of our VERP addresses.</summary>
    Bounce,

    /// <summary>A person marked our mail as spam: an ARF report (RFC 5965).</summary>
    Complaint,

    /// <summary>A person used the mailto: link of List-Unsubscribe.</summary>
    Unsubscribe,

    /// <summary>Nothing to do: a "delayed" or "delivered" DSN, an out-of-office reply, a "not spam" report.</summary>
    Ignore,

    /// <summary>None of the above: kept aside for a person to look at.</summary>
    Unknown,
}

/// <summary>What one message in the bounce mailbox says, and the clues to the delivery it is about.</summary>
public sealed record MailboxReport(ReportKind Kind, string Reason)
{
    public BounceKind? Bounce { get; init; }

    /// <summary>Addresses that may be our VERP envelope sender: the report's own recipients and the original's Return-Path.</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];

    /// <summary>The original message's Message-ID, when the report quotes it.</summary>
    public IReadOnlyList<string> MessageIds { get; init; } = [];

    /// <summary>The unsubscribe token of a mailto: unsubscribe.</summary>
    public string? Token { get; init; }
}

/// <summary>Reads DSNs, ARF complaint reports, plain-text bounces and mailto: unsubscribes — as Postfix, Exim, Gmail,
/// Microsoft 365 and Yahoo write them. It only reads: deciding whom a report is about is MailboxReports' job.</summary>
public static partial class ReportParser
{
    public static MailboxReport Parse(MimeMessage message)
    {
        var addresses = RecipientsOf(message);
        var subject = message.Subject ?? "";

        if (UnsubscribeSubject().Match(subject) is { Success: true } unsubscribe)
            return new MailboxReport(ReportKind.Unsubscribe, "unsubscribe by email") { Token = unsubscribe.Groups["token"].Value };

        var parts = message.BodyParts.ToList();
        var quoted = parts.OfType<MessagePart>().Select(p => p.Message).OfType<MimeMessage>().ToList();
        var messageIds = quoted.Select(m => m.MessageId).OfType<string>().Where(id => id.Length > 0).Distinct().ToList();
        addresses.AddRange(quoted.SelectMany(m => m.Headers.Where(h => h.Id == HeaderId.ReturnPath).Select(h => Bare(h.Value))));

        if (parts.OfType<MessageFeedbackReport>().FirstOrDefault() is { } feedback)
        {
            if (feedback.Fields["Original-Mail-From"] is { } mailFrom) addresses.Add(Bare(mailFrom));
            return Complaint(feedback.Fields) with { Addresses = addresses, MessageIds = messageIds };
        }
        if (parts.OfType<MessageDeliveryStatus>().FirstOrDefault() is { } status)
        {
            if (status.StatusGroups.FirstOrDefault()?["X-Original-Message-ID"] is { } original) messageIds.Add(original.Trim());
            return Dsn(status) with { Addresses = addresses, MessageIds = messageIds };
        }

        if (IsAutoReply(message))
            return new MailboxReport(ReportKind.Ignore, "an automatic reply");
        if (LooksLikeBounce(message))
            return PlainBounce(message.TextBody ?? message.HtmlBody ?? "") with { Addresses = addresses, MessageIds = messageIds };
        return new MailboxReport(ReportKind.Unknown, "not a bounce, complaint or unsubscribe");
    }

    /// <summary>RFC 5965: abuse, fraud and virus reports are complaints; "not-spam" and the rest are not.</summary>
    private static MailboxReport Complaint(HeaderList fields)
    {
        var type = fields["Feedback-Type"]?.Trim().ToLowerInvariant() ?? "abuse";
        return type is "abuse" or "fraud" or "virus"
            ? new MailboxReport(ReportKind.Complaint, $"complaint ({type}) from {fields["User-Agent"]?.Trim() ?? "a mailbox provider"}") { Bounce = BounceKind.Complaint }
            : new MailboxReport(ReportKind.Ignore, $"feedback report of type {type}");
    }

    /// <summary>RFC 3464: the first recipient whose Action is "failed" decides; "delayed" and "delivered" are not bounces.</summary>
    private static MailboxReport Dsn(MessageDeliveryStatus status)
    {
        var recipients = status.StatusGroups.Skip(1).ToList();
        var failed = recipients.FirstOrDefault(g => (g["Action"]?.Trim().ToLowerInvariant() ?? "failed") == "failed");
        if (failed is null)
            return new MailboxReport(ReportKind.Ignore, $"delivery status: {recipients.FirstOrDefault()?["Action"]?.Trim() ?? "no recipients"}");

        var code = failed["Status"]?.Trim() ?? "";
        var diagnostic = Unfold(failed["Diagnostic-Code"]);
        var reason = $"{code} {diagnostic}".Trim();
        return new MailboxReport(ReportKind.Bounce, Limit(reason.Length > 0 ? reason : "failed")) { Bounce = Classify(code, diagnostic) };
    }

    /// <summary>A bounce without a delivery-status part (qmail, old Exim, some appliances): the text holds the reason.</summary>
    private static MailboxReport PlainBounce(string text)
    {
        var code = EnhancedCode().Match(text);
        var reply = SmtpReply().Match(text);
        var reason = reply.Success ? reply.Value.Trim() : code.Success ? code.Value : "undeliverable (no reason given)";
        return new MailboxReport(ReportKind.Bounce, Limit(Unfold(reason))) { Bounce = Classify(code.Success ? code.Value : reply.Success ? reply.Groups["code"].Value : "", reason) };
    }

    /// <summary>5.1.x (no such address) and texts that say the mailbox is gone are hard; everything else — a full
    /// mailbox, a policy block, a temporary failure that finally gave up — is soft, and only repeated ones count.</summary>
    public static BounceKind Classify(string status, string diagnostic)
    {
        if (status.StartsWith("5.1.", StringComparison.Ordinal) || status == "5.2.1") return BounceKind.Hard;
        if ((status.StartsWith('5') || status.Length == 0) && SendOutcome.MeansNoSuchMailbox(diagnostic)) return BounceKind.Hard;
        return BounceKind.Soft;
    }

    /// <summary>Where the report was sent: the VERP address, in whichever header the mail server kept it.</summary>
    private static List<string> RecipientsOf(MimeMessage message)
    {
        var found = new List<string>();
        foreach (var header in message.Headers)
            if (header.Field.Equals("Delivered-To", StringComparison.OrdinalIgnoreCase)
                || header.Field.Equals("X-Original-To", StringComparison.OrdinalIgnoreCase)
                || header.Field.Equals("Envelope-To", StringComparison.OrdinalIgnoreCase)
                || header.Field.Equals("X-Envelope-To", StringComparison.OrdinalIgnoreCase))
                found.Add(Bare(header.Value));
        found.AddRange(message.To.Mailboxes.Concat(message.Cc.Mailboxes).Select(m => m.Address));
        return found;
    }

    private static bool IsAutoReply(MimeMessage message)
    {
        var auto = message.Headers["Auto-Submitted"]?.Trim().ToLowerInvariant();
        return auto is "auto-replied" || message.Headers["X-Autoreply"] is not null || message.Headers["X-Autorespond"] is not null
               || AutoReplySubject().IsMatch(message.Subject ?? "");
    }

    private static bool LooksLikeBounce(MimeMessage message)
    {
        var from = message.From.Mailboxes.FirstOrDefault()?.Address ?? "";
        return from.StartsWith("mailer-daemon@", StringComparison.OrdinalIgnoreCase) || from.StartsWith("postmaster@", StringComparison.OrdinalIgnoreCase)
               || message.Headers["Auto-Submitted"]?.Trim().ToLowerInvariant() == "auto-generated" && BounceSubject().IsMatch(message.Subject ?? "")
               || BounceSubject().IsMatch(message.Subject ?? "");
    }

    /// <summary>" &lt;a@b&gt; " → "a@b".</summary>
    private static string Bare(string address) => address.Trim().Trim('<', '>').Trim();

    private static string Unfold(string? value) =>
        value is null ? "" : Regex.Replace(value[(value.IndexOf(';') is var i and >= 0 && i < 12 ? i + 1 : 0)..], @"\s+", " ").Trim();

    private static string Limit(string text) => text.Length <= 500 ? text : text[..500];

    [GeneratedRegex(@"^\s*(re:\s*)?unsubscribe\s+(?<token>[A-Za-z0-9_-]{44})\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex UnsubscribeSubject();

    [GeneratedRegex(@"\b[245]\.[0-9]{1,3}\.[0-9]{1,3}\b")]
    private static partial Regex EnhancedCode();

    [GeneratedRegex(@"(?<code>[45][0-9]{2})[ -][^\r\n]{0,300}")]
    private static partial Regex SmtpReply();

    [GeneratedRegex(@"^(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|abwesend|absence|vacation)", RegexOptions.IgnoreCase)]
    private static partial Regex AutoReplySubject();

    [GeneratedRegex(@"undeliver|delivery (status notification|failure|has failed)|mail delivery failed|failure notice|returned mail|could not be delivered|non[- ]?delivery", RegexOptions.IgnoreCase)]
    private static partial Regex BounceSubject();
}

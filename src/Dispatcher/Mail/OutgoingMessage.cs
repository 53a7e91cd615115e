using System.Collections.Concurrent;
using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Utils;

namespace Dispatcher.Mail;

/// <summary>Everything that makes one message to one person.</summary>
public sealed record OutgoingMessage
{
    public required string Subject { get; init; }
    public required IMessageBody Body { get; init; }
    public required string ToAddress { get; init; }
    public string? ToName { get; init; }

    /// <summary>The same for the same dispatch and person, so a repeat after a crash is recognisable downstream.</summary>
    public required string MessageId { get; init; }

    /// <summary>Null for mail that is not sent to a list (a test send).</summary>
    public ListIdentity? List { get; init; }

    /// <summary>https one-click target; null for confirmations, which are not bulk.</summary>
    public string? UnsubscribeUrl { get; init; }

    public string? UnsubscribeMailto { get; init; }
    public bool Bulk { get; init; } = true;
}

public sealed record ListIdentity(string Slug, string Name);

/// <summary>Builds the MIME message: multipart/alternative (text, then HTML), the list headers mailbox providers
/// require of bulk senders, and headers that no field can inject into (CR, LF and other controls become spaces).</summary>
/// <remarks>With a DKIM signer, every message is signed (relaxed/relaxed, rsa-sha256) over the headers that say who
/// it is from and to, what it is, and how to leave — so none of them can be changed on the way.</remarks>
public sealed class MessageFactory(MailOptions mail, TimeProvider clock, DkimSigner? dkim = null)
{
    private static readonly HeaderId[] SignedHeaders =
    [
        HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId, HeaderId.ListId,
        HeaderId.ListUnsubscribe, HeaderId.ListUnsubscribePost, HeaderId.MimeVersion, HeaderId.ContentType,
    ];

    private readonly string _fromName = Clean(mail.FromName);
    private readonly Header _fromHeader = FromHeader(new MailboxAddress(Clean(mail.FromName), mail.FromAddress));
    private readonly ConcurrentDictionary<(HeaderId Id, string Key), Header> _formatted = new();

    // "=_" never occurs in quoted-printable text (see EncodedAlternative); the random part keeps it unguessable anyway.
    private readonly string _boundary = $"=_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12))}";

    /// <summary>A new instance each time: an address added to a message's From list holds on to that message (MimeKit
    /// subscribes to its Changed event), so one shared instance would keep every message ever built alive.</summary>
    public MailboxAddress From => new(_fromName, mail.FromAddress);

    private static Header FromHeader(MailboxAddress from)
    {
        using var template = new MimeMessage((IEnumerable<Header>)[]);
        template.From.Add(from);
        return template.Headers.First(h => h.Id == HeaderId.From).Clone();
    }

    public MimeMessage Create(OutgoingMessage message)
    {
        // Not new MimeMessage(): that makes up a Message-ID (from the host name and random bytes) only to be replaced.
        var mime = new MimeMessage((IEnumerable<Header>)[]);
        mime.Headers.Add(_fromHeader.Clone());
        mime.To.Add(new MailboxAddress(Clean(message.ToName ?? ""), message.ToAddress));
        mime.Headers.Add(Formatted(HeaderId.Subject, message.Subject, subject => new Header(Encoding.UTF8, HeaderId.Subject, Clean(subject))));
        mime.Headers.Add(Formatted(HeaderId.Date, DateUtils.FormatDate(TruncateToSecond(clock.GetUtcNow())), date => new Header(HeaderId.Date, date)));
        mime.MessageId = message.MessageId;

        if (message.List is { } list)
            mime.Headers.Add(Formatted(HeaderId.ListId, $"{list.Slug} {list.Name}", _ => new Header(HeaderId.ListId,
                $"{Encoding.ASCII.GetString(Rfc2047.EncodePhrase(Encoding.UTF8, Clean(list.Name)))} <{ListIdOf(list.Slug)}>")));
        if (message.UnsubscribeUrl is { } unsubscribe)
        {
            var targets = message.UnsubscribeMailto is { } mailto ? $"<{unsubscribe}>, <{mailto}>" : $"<{unsubscribe}>";
            mime.Headers.Add(HeaderId.ListUnsubscribe, targets);
            mime.Headers.Add(Formatted(HeaderId.ListUnsubscribePost, "List-Unsubscribe=One-Click", value => new Header(HeaderId.ListUnsubscribePost, value)));
        }
        if (message.Bulk) mime.Headers.Add(Formatted(HeaderId.Precedence, "bulk", value => new Header(HeaderId.Precedence, value)));
        mime.Headers.Add(Formatted(HeaderId.MimeVersion, "1.0", version => new Header(HeaderId.MimeVersion, version)));

        mime.Body = new EncodedAlternative(message.Body, _boundary);
        if (dkim is not null)
        {
            // Seven-bit already (quoted-printable parts, RFC 2047 headers): nothing on the way needs to re-encode, which
            // would break the body hash.
            mime.Prepare(EncodingConstraint.SevenBit);
            dkim.Sign(mime, SignedHeaders);
        }
        return mime;
    }

    /// <summary>A copy of the header for this value, formatted (encoded, folded) once: most headers are the same for every
    /// message of a dispatch, and MimeKit takes several microseconds to format each one.</summary>
    private Header Formatted(HeaderId id, string key, Func<string, Header> format)
    {
        if (_formatted.Count > 1_000) _formatted.Clear(); // dates and subjects change; keep only what is current
        return _formatted.GetOrAdd((id, key), static (k, format) => format(k.Key), format).Clone();
    }

    private static DateTimeOffset TruncateToSecond(DateTimeOffset time) => time.AddTicks(-(time.Ticks % TimeSpan.TicksPerSecond));

    public string ListIdOf(string slug) => $"{slug}.{mail.Domain}";

    /// <summary>Header text from a user or the website can never add a header: every control character becomes a space.</summary>
    public static string Clean(string value)
    {
        if (!value.Any(char.IsControl)) return value.Trim();
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (!char.IsControl(c)) builder.Append(c);
            else if (builder.Length > 0 && builder[^1] != ' ') builder.Append(' ');
        }
        return builder.ToString().Trim();
    }
}

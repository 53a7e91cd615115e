using System.Text;
using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Text;
using MimeKit.Utils;

namespace Dispatcher.Mail;

/// <summary>Everything that makes one message to one person.</summary>
public sealed record OutgoingMessage
{
    public required string Subject { get; init; }
    public required RenderedBody Body { get; init; }
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

    /// <summary>A new instance each time: an address added to a message's From list holds on to that message (MimeKit
    /// subscribes to its Changed event), so one shared instance would keep every message ever built alive.</summary>
    public MailboxAddress From => new(_fromName, mail.FromAddress);

    public MimeMessage Create(OutgoingMessage message)
    {
        var mime = new MimeMessage();
        mime.From.Add(From);
        mime.To.Add(new MailboxAddress(Clean(message.ToName ?? ""), message.ToAddress));
        mime.Subject = Clean(message.Subject);
        mime.Date = clock.GetUtcNow();
        mime.MessageId = message.MessageId;

        if (message.List is { } list)
            mime.Headers.Add(HeaderId.ListId, $"{Encoding.ASCII.GetString(Rfc2047.EncodePhrase(Encoding.UTF8, Clean(list.Name)))} <{ListIdOf(list.Slug)}>");
        if (message.UnsubscribeUrl is { } unsubscribe)
        {
            var targets = message.UnsubscribeMailto is { } mailto ? $"<{unsubscribe}>, <{mailto}>" : $"<{unsubscribe}>";
            mime.Headers.Add(HeaderId.ListUnsubscribe, targets);
            mime.Headers.Add(HeaderId.ListUnsubscribePost, "List-Unsubscribe=One-Click");
        }
        if (message.Bulk) mime.Headers.Add(HeaderId.Precedence, "bulk");

        mime.Body = new MultipartAlternative
        {
            new TextPart(TextFormat.Plain) { Text = message.Body.Text, ContentTransferEncoding = ContentEncoding.QuotedPrintable },
            new TextPart(TextFormat.Html) { Text = message.Body.Html, ContentTransferEncoding = ContentEncoding.QuotedPrintable },
        };
        if (dkim is not null)
        {
            // Seven-bit already (quoted-printable parts, RFC 2047 headers): nothing on the way needs to re-encode, which
            // would break the body hash.
            mime.Prepare(EncodingConstraint.SevenBit);
            dkim.Sign(mime, SignedHeaders);
        }
        return mime;
    }

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

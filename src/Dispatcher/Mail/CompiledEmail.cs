using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using System.Text.RegularExpressions;

namespace Dispatcher.Mail;

/// <summary>One person's details, filled into a <see cref="CompiledEmail"/>.</summary>
public readonly record struct Personalisation(string? Name, string Email, string UnsubscribeUrl, string PreferencesUrl, string? ConfirmUrl = null);

/// <summary>The HTML and plain-text bodies of one message, as EncodedAlternative reads them: in wire form
/// (see <see cref="QuotedPrintable"/>).</summary>
public interface IMessageBody
{
    /// <summary>One part, quoted-printable with CRLF line ends, in a buffer rented from <see cref="ArrayPool{T}.Shared"/>,
    /// which the caller returns.</summary>
    (byte[] Buffer, int Length) RentQuotedPrintable(bool html);
}

/// <summary>The HTML and plain-text bodies of one message, as text.</summary>
public sealed record RenderedBody(string Html, string Text) : IMessageBody
{
    public (byte[] Buffer, int Length) RentQuotedPrintable(bool html) => QuotedPrintable.Rent(html ? Html : Text);
}

/// <summary>A template rendered once per dispatch — CSS inlined, plain text derived — with placeholders where each
/// person's details go. Filling it in copies the template's bytes and the person's details, which keeps the per-message
/// cost tiny; values are HTML-encoded for the HTML part and left as they are for the text part.</summary>
public sealed class CompiledEmail
{
    private readonly Segment[] _htmlWithName, _textWithName, _htmlWithoutName, _textWithoutName;

    private CompiledEmail(CompiledEmailParts parts, Placeholders placeholders)
    {
        Parts = parts;
        _htmlWithName = placeholders.Split(parts.HtmlWithName);
        _textWithName = placeholders.Split(parts.TextWithName);
        _htmlWithoutName = placeholders.Split(parts.HtmlWithoutName);
        _textWithoutName = placeholders.Split(parts.TextWithoutName);
    }

    public string Subject => Parts.Subject;

    /// <summary>What this email is made of, to keep it (with its dispatch) and make it again with <see cref="From"/>.</summary>
    public CompiledEmailParts Parts { get; }

    public static CompiledEmail From(CompiledEmailParts parts) => new(parts, new Placeholders(parts.Nonce));

    /// <summary>This person's copy in wire form, for sending: the template's text is encoded once per email (UTF-8,
    /// quoted-printable, CRLF), so per message only their details are encoded and the rest is copied.</summary>
    public IMessageBody Personalise(in Personalisation person) => new PersonalisedBody(this, person);

    private sealed class PersonalisedBody(CompiledEmail email, Personalisation person) : IMessageBody
    {
        public (byte[] Buffer, int Length) RentQuotedPrintable(bool html)
        {
            var segments = email.Segments(html, person);
            var max = 0;
            var filled = new string?[segments.Length]; // each detail once: it is measured, then written
            for (var i = 0; i < segments.Length; i++)
            {
                max += segments[i].Wire.Length;
                if (segments[i].Slot is not { } slot) continue;
                max += QuotedPrintable.MaxLength(filled[i] = Value(slot, person, html));
            }
            var buffer = ArrayPool<byte>.Shared.Rent(max);
            var length = 0;
            for (var i = 0; i < segments.Length; i++)
            {
                segments[i].Wire.CopyTo(buffer.AsSpan(length));
                length += segments[i].Wire.Length;
                if (filled[i] is { } value) length += QuotedPrintable.Encode(value, buffer.AsSpan(length));
            }
            return (buffer, length);
        }
    }

    /// <summary>This person's copy as text: previews, test sends, tests.</summary>
    public RenderedBody For(in Personalisation person) =>
        new(Fill(Segments(html: true, person), person, html: true), Fill(Segments(html: false, person), person, html: false));

    /// <summary>The variant with a greeting by name when the person has one.</summary>
    private Segment[] Segments(bool html, in Personalisation person) => string.IsNullOrWhiteSpace(person.Name)
        ? html ? _htmlWithoutName : _textWithoutName
        : html ? _htmlWithName : _textWithName;

    // Encodes what HTML needs (<, >, &, quotes) and leaves letters of every script readable in the source.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private static string Fill(Segment[] segments, in Personalisation person, bool html)
    {
        var builder = new StringBuilder(segments.Sum(s => s.Literal.Length) + 256);
        foreach (var segment in segments)
        {
            builder.Append(segment.Literal);
            if (segment.Slot is { } slot) builder.Append(Value(slot, person, html));
        }
        return builder.ToString();
    }

    /// <summary>The person's detail for a slot, HTML-encoded for the HTML part.</summary>
    private static string Value(Slot slot, in Personalisation person, bool html)
    {
        var value = slot switch
        {
            Slot.Name => person.Name?.Trim() ?? "",
            Slot.Email => person.Email,
            Slot.UnsubscribeUrl => person.UnsubscribeUrl,
            Slot.PreferencesUrl => person.PreferencesUrl,
            Slot.ConfirmUrl => person.ConfirmUrl ?? "",
            _ => "",
        };
        return html ? Encoder.Encode(value) : value;
    }

    internal enum Slot { Name = 0, Email = 1, UnsubscribeUrl = 2, PreferencesUrl = 3, ConfirmUrl = 4 }

    /// <summary>Literal text, then a slot for a person's detail (none after the last literal). Wire: the literal as sent
    /// (see <see cref="QuotedPrintable"/>), encoded once; it ends at the start of a line, where the detail's own
    /// encoding begins.</summary>
    internal sealed record Segment(string Literal, Slot? Slot)
    {
        public byte[] Wire { get; } = QuotedPrintable.Encode(Literal);
    }

    /// <summary>Placeholders are letters and digits only, so neither Razor's encoder nor the CSS inliner changes them,
    /// and a per-compilation nonce means no statement text can forge one.</summary>
    internal sealed class Placeholders
    {
        private readonly string _nonce;

        public Placeholders() => _nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

        /// <summary>The placeholders of an email rendered before (its nonce kept with it).</summary>
        public Placeholders(string nonce) =>
            _nonce = nonce.Length == 16 && nonce.All(char.IsAsciiHexDigitLower) ? nonce : throw new FormatException($"'{nonce}' is not a placeholder nonce.");

        public string Nonce => _nonce;

        public string this[Slot slot] => $"zq{_nonce}{(int)slot}qz";

        public EmailRecipient Recipient(bool hasName) => new()
        {
            Name = this[Slot.Name],
            HasName = hasName,
            Email = this[Slot.Email],
            UnsubscribeUrl = this[Slot.UnsubscribeUrl],
            PreferencesUrl = this[Slot.PreferencesUrl],
            ConfirmUrl = this[Slot.ConfirmUrl],
        };

        public Segment[] Split(string text)
        {
            var segments = new List<Segment>();
            var last = 0;
            foreach (Match match in Regex.Matches(text, $"zq{_nonce}([0-9])qz"))
            {
                segments.Add(new Segment(text[last..match.Index], (Slot)(match.Groups[1].Value[0] - '0')));
                last = match.Index + match.Length;
            }
            segments.Add(new Segment(text[last..], null));
            return [.. segments];
        }
    }

    internal static CompiledEmail Create(string subject, Placeholders placeholders,
        (string Html, string Text) withName, (string Html, string Text) withoutName) =>
        new(new CompiledEmailParts(subject, placeholders.Nonce, withName.Html, withName.Text, withoutName.Html, withoutName.Text), placeholders);
}

/// <summary>A <see cref="CompiledEmail"/> as text: both variants (with and without a name) with the placeholders of
/// <paramref name="Nonce"/> where each person's details go.</summary>
public sealed record CompiledEmailParts(string Subject, string Nonce, string HtmlWithName, string TextWithName, string HtmlWithoutName, string TextWithoutName);

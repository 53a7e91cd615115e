using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using System.Text.RegularExpressions;

namespace Dispatcher.Mail;

/// <summary>One person's details, filled into a <see cref="CompiledEmail"/>.</summary>
public readonly record struct Personalisation(string? Name, string Email, string UnsubscribeUrl, string PreferencesUrl, string? ConfirmUrl = null);

/// <summary>The HTML and plain-text bodies of one message.</summary>
public sealed record RenderedBody(string Html, string Text);

/// <summary>A template rendered once per dispatch — CSS inlined, plain text derived — with placeholders where each
/// person's details go. Filling it in is a string concatenation, which keeps the per-message cost tiny; values are
/// HTML-encoded for the HTML part and left as they are for the text part.</summary>
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

    public RenderedBody For(in Personalisation person)
    {
        var hasName = !string.IsNullOrWhiteSpace(person.Name);
        return new RenderedBody(
            Fill(hasName ? _htmlWithName : _htmlWithoutName, person, html: true),
            Fill(hasName ? _textWithName : _textWithoutName, person, html: false));
    }

    // Encodes what HTML needs (<, >, &, quotes) and leaves letters of every script readable in the source.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private static string Fill(Segment[] segments, in Personalisation person, bool html)
    {
        var builder = new StringBuilder(segments.Sum(s => s.Literal.Length) + 256);
        foreach (var segment in segments)
        {
            builder.Append(segment.Literal);
            if (segment.Slot is not { } slot) continue;
            var value = slot switch
            {
                Slot.Name => person.Name?.Trim() ?? "",
                Slot.Email => person.Email,
                Slot.UnsubscribeUrl => person.UnsubscribeUrl,
                Slot.PreferencesUrl => person.PreferencesUrl,
                Slot.ConfirmUrl => person.ConfirmUrl ?? "",
                _ => "",
            };
            builder.Append(html ? Encoder.Encode(value) : value);
        }
        return builder.ToString();
    }

    internal enum Slot { Name = 0, Email = 1, UnsubscribeUrl = 2, PreferencesUrl = 3, ConfirmUrl = 4 }

    internal readonly record struct Segment(string Literal, Slot? Slot);

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

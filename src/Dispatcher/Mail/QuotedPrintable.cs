using System.Buffers;
using System.Text;
using MimeKit.Encodings;

namespace Dispatcher.Mail;

/// <summary>Text in wire form: UTF-8, quoted-printable by MimeKit's encoder, CRLF line ends, lines of at most 76
/// characters. MimeKit ends every piece it encodes at the start of a line (a soft line break, "=" and a line break, when
/// the text does not end with one), so pieces encoded apart can be put side by side: that is what lets a template's
/// literal text be encoded once per email and only each person's details per message. A soft break decodes to
/// nothing, so the text a reader sees is the same.</summary>
internal static class QuotedPrintable
{
    /// <summary>MimeKit's encoder lets a line run up to two characters past the length it is given (where an escape
    /// like "=C3" meets the end of a line): 74 keeps every line within RFC 2045's 76, which spam filters check
    /// (SpamAssassin's MIME_QP_LONG_LINE). Text in Korean or Turkish is mostly escapes, so this is not rare.</summary>
    private const int LineLength = 74;

    /// <summary>Only measures (a function of the length and the line length), so one serves every thread.</summary>
    private static readonly QuotedPrintableEncoder Estimator = new(LineLength);

    /// <summary>The most bytes <see cref="Encode(string, Span{byte})"/> writes for this text (CRLF at most doubles
    /// what MimeKit writes).</summary>
    public static int MaxLength(string text) => 2 * Estimator.EstimateOutputLength(Encoding.UTF8.GetMaxByteCount(text.Length));

    /// <summary>A whole part in wire form, in a buffer rented from the shared pool.</summary>
    public static (byte[] Buffer, int Length) Rent(string text)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxLength(text));
        return (buffer, Encode(text, buffer));
    }

    /// <summary>A piece in wire form, in an array of its own (a template's literal text, kept with the email).</summary>
    public static byte[] Encode(string text)
    {
        var wire = new byte[MaxLength(text)];
        return wire[..Encode(text, wire)];
    }

    /// <summary>Writes the text (LF or CRLF line ends) in wire form; returns the bytes written.</summary>
    public static int Encode(string text, Span<byte> target)
    {
        if (text.Length == 0) return 0;
        // CR LF to LF first: the encoder takes LF for a hard line break, and a CR before one would become "=0D".
        if (text.Contains('\r')) text = text.Replace("\r\n", "\n");
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        var length = Encoding.UTF8.GetBytes(text, utf8);
        var encoded = ArrayPool<byte>.Shared.Rent(Estimator.EstimateOutputLength(length));
        try
        {
            // MimeKit writes LF line ends (soft breaks as "=" LF); the wire wants CRLF.
            return CrLf(encoded.AsSpan(0, new QuotedPrintableEncoder(LineLength).Flush(utf8, 0, length, encoded)), target);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    /// <summary>LF line ends to CRLF.</summary>
    private static int CrLf(ReadOnlySpan<byte> source, Span<byte> target)
    {
        var written = 0;
        foreach (var b in source)
        {
            if (b == (byte)'\n') target[written++] = (byte)'\r';
            target[written++] = b;
        }
        return written;
    }
}

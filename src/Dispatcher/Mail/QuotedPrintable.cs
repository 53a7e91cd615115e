using System.Buffers;
using MimeKit.Encodings;

namespace Dispatcher.Mail;

/// <summary>Text parts in wire form: UTF-8, quoted-printable by MimeKit's encoder (lines of at most 76 characters, see <see cref="LineLength"/>),
/// CRLF line ends. A piece can be encoded on its own and ended with a soft line break ("=" CRLF), which puts the next
/// piece at the start of a line: that is what lets a template's literal text be encoded once per email and only each
/// person's details per message. A soft break decodes to nothing, so the text a reader sees is the same.</summary>
internal static class QuotedPrintable
{
    private static ReadOnlySpan<byte> SoftBreak => "=\r\n"u8;

    /// <summary>MimeKit's encoder lets a line run up to two characters past the length it is given (where an escape
    /// like "=C3" meets the end of a line): 74 keeps every line within RFC 2045's 76, which spam filters check
    /// (SpamAssassin's MIME_QP_LONG_LINE). Text in Korean or Turkish is mostly escapes, so this is not rare.</summary>
    private const int LineLength = 74;

    private static QuotedPrintableEncoder NewEncoder() => new(LineLength);

    /// <summary>Only measures (a function of the length and the line length), so one serves every thread.</summary>
    private static readonly QuotedPrintableEncoder Estimator = NewEncoder();

    /// <summary>The most bytes <see cref="Encode"/> writes for this many bytes of UTF-8 (CRLF at most doubles MimeKit's).</summary>
    public static int MaxLength(int utf8Length) => 2 * Estimator.EstimateOutputLength(utf8Length) + SoftBreak.Length;

    /// <summary>A whole part (text with LF or CRLF line ends) in wire form, in a buffer rented from the shared pool.</summary>
    public static (byte[] Buffer, int Length) Rent(string text)
    {
        var (utf8, length) = Utf8.Rent(text);
        try
        {
            var buffer = ArrayPool<byte>.Shared.Rent(MaxLength(length));
            return (buffer, Encode(utf8.AsSpan(0, length), buffer, endAtLineStart: false));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <summary>A piece in wire form, starting at the beginning of a line. With endAtLineStart, a piece that does not end
    /// with a line break gets a soft one, so whatever follows starts a line too. Returns the bytes written.</summary>
    public static int Encode(ReadOnlySpan<byte> utf8, Span<byte> target, bool endAtLineStart)
    {
        if (utf8.IsEmpty) return 0;
        var input = ArrayPool<byte>.Shared.Rent(utf8.Length);
        var encoder = NewEncoder();
        var encoded = ArrayPool<byte>.Shared.Rent(Estimator.EstimateOutputLength(utf8.Length));
        try
        {
            utf8.CopyTo(input);
            // MimeKit writes LF line ends (soft breaks as "=" LF); the wire wants CRLF.
            var written = CrLf(encoded.AsSpan(0, encoder.Flush(input, 0, utf8.Length, encoded)), target);
            if (endAtLineStart && target[written - 1] != (byte)'\n')
            {
                SoftBreak.CopyTo(target[written..]);
                written += SoftBreak.Length;
            }
            return written;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    /// <summary>LF line ends to CRLF; a CR already there is kept, not doubled.</summary>
    private static int CrLf(ReadOnlySpan<byte> source, Span<byte> target)
    {
        var written = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            if (b == (byte)'\n' && (i == 0 || source[i - 1] != (byte)'\r')) target[written++] = (byte)'\r';
            target[written++] = b;
        }
        return written;
    }
}

using System.Buffers;
using System.Text;
using MimeKit;
using MimeKit.IO;
using MimeKit.IO.Filters;

namespace Dispatcher.Mail;

/// <summary>multipart/alternative of the plain text and the HTML of one email, both quoted-printable, encoded once when
/// the message is built into one buffer in wire form and written with a single write.</summary>
/// <remarks>MimeKit's own Multipart of two TextParts keeps each text in a stream and re-encodes it through a chain of
/// filters, in many small asynchronous writes, every time the message is written (for DKIM and again for SMTP): at
/// thousands of messages a second that was the largest single share of the sender's CPU. The boundary begins with "=_",
/// which quoted-printable text can never contain, so nothing in a statement can end a part early.</remarks>
public sealed class EncodedAlternative : MimeEntity
{
    private static readonly byte[] PlainHeaders = Encoding.ASCII.GetBytes(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
    private static readonly byte[] HtmlHeaders = Encoding.ASCII.GetBytes(
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");

    private byte[]? _content;
    private readonly int _length;

    public EncodedAlternative(IMessageBody body, string boundary)
        : base(new ContentType("multipart", "alternative") { Boundary = boundary })
    {
        (_content, _length) = Build(body, Encoding.ASCII.GetBytes(boundary));
    }

    /// <summary>Already seven-bit with lines of at most 76 characters: nothing to prepare for any transport.</summary>
    public override void Prepare(EncodingConstraint constraint, int maxLineLength = 78) { }

    public override void WriteTo(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        base.WriteTo(options, stream, contentOnly, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (options.NewLineFormat == NewLineFormat.Dos)
        {
            stream.Write(Content);
            return;
        }
        using var unix = new FilteredStream(stream);
        unix.Add(new Dos2UnixFilter());
        unix.Write(Content);
        unix.Flush(cancellationToken);
    }

    public override async Task WriteToAsync(FormatOptions options, Stream stream, bool contentOnly, CancellationToken cancellationToken = default)
    {
        await base.WriteToAsync(options, stream, contentOnly, cancellationToken);
        if (options.NewLineFormat == NewLineFormat.Dos)
        {
            await stream.WriteAsync(ContentMemory, cancellationToken);
            return;
        }
        await using var unix = new FilteredStream(stream);
        unix.Add(new Dos2UnixFilter());
        await unix.WriteAsync(ContentMemory, cancellationToken);
        await unix.FlushAsync(cancellationToken);
    }

    private ReadOnlySpan<byte> Content => ContentMemory.Span;

    private ReadOnlyMemory<byte> ContentMemory =>
        _content is { } content ? content.AsMemory(0, _length) : throw new ObjectDisposedException(nameof(EncodedAlternative));

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _content, null) is { } content) ArrayPool<byte>.Shared.Return(content);
        base.Dispose(disposing);
    }

    /// <summary>--boundary, the text part, --boundary, the HTML part, --boundary--; CRLF line ends throughout.</summary>
    private static (byte[] Content, int Length) Build(IMessageBody body, byte[] boundary)
    {
        var (text, textLength) = body.RentQuotedPrintable(html: false);
        var (html, htmlLength) = body.RentQuotedPrintable(html: true);
        try
        {
            var capacity = 3 * (boundary.Length + 6) + PlainHeaders.Length + HtmlHeaders.Length + textLength + htmlLength + 4;
            var buffer = ArrayPool<byte>.Shared.Rent(capacity);
            var at = 0;
            Boundary(buffer, ref at, boundary, last: false);
            Copy(buffer, ref at, PlainHeaders);
            Copy(buffer, ref at, text.AsSpan(0, textLength));
            Copy(buffer, ref at, "\r\n"u8);
            Boundary(buffer, ref at, boundary, last: false);
            Copy(buffer, ref at, HtmlHeaders);
            Copy(buffer, ref at, html.AsSpan(0, htmlLength));
            Copy(buffer, ref at, "\r\n"u8);
            Boundary(buffer, ref at, boundary, last: true);
            return (buffer, at);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
            ArrayPool<byte>.Shared.Return(html);
        }
    }

    private static void Boundary(byte[] buffer, ref int at, byte[] boundary, bool last)
    {
        Copy(buffer, ref at, "--"u8);
        Copy(buffer, ref at, boundary);
        if (last) Copy(buffer, ref at, "--"u8);
        Copy(buffer, ref at, "\r\n"u8);
    }

    private static void Copy(byte[] buffer, ref int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer.AsSpan(at));
        at += bytes.Length;
    }
}

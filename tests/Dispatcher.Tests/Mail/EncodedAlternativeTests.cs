using System.Text;
using Dispatcher.Mail;
using MimeKit;

namespace Dispatcher.Tests.Mail;

public sealed class EncodedAlternativeTests
{
    private static readonly string Text = string.Join("\n",
        "Ankara bomb attacks: Blood on Erdoğan's hands",
        ".A line that starts with a dot, and one that ends in spaces   ",
        "From the start of a line; = signs = 3D; tabs\tinside",
        new string('x', 200) + " and a very long line with ünïcödé " + new string('é', 120),
        "Windows line end\r\nafter it",
        "");

    private static readonly string Html = "<p>Ankara bomb attacks: <b>Blood on Erdoğan's hands</b></p>\n<p>" + new string('ğ', 300) + "</p>";

    private static MimeMessage Message() => new(
        [new MailboxAddress("", "news@example.org")], [new MailboxAddress("", "ana@example.org")], "subject",
        new EncodedAlternative(new RenderedBody(Html, Text), "=_0123456789abcdef"));

    private static byte[] Bytes(MimeMessage message, NewLineFormat format)
    {
        using var stream = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = format }, stream);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(NewLineFormat.Dos)]
    [InlineData(NewLineFormat.Unix)]
    public void Reads_back_as_multipart_alternative_with_both_texts_unchanged(NewLineFormat format)
    {
        var parsed = MimeMessage.Load(new MemoryStream(Bytes(Message(), format)));

        var alternative = Assert.IsType<MultipartAlternative>(parsed.Body);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType));
        Assert.Equal(Text.Replace("\r\n", "\n"), parsed.TextBody?.ReplaceLineEndings("\n"));
        Assert.Equal(Html, parsed.HtmlBody?.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void On_the_wire_it_is_seven_bit_with_CRLF_lines_of_at_most_76_characters()
    {
        var wire = Bytes(Message(), NewLineFormat.Dos);

        Assert.All(wire, b => Assert.True(b < 128, $"byte {b} is not seven-bit"));
        var text = Encoding.ASCII.GetString(wire);
        Assert.DoesNotContain("\n", text.Replace("\r\n", ""));
        Assert.DoesNotContain("\r", text.Replace("\r\n", ""));
        var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        Assert.All(body.Split("\r\n"), line => Assert.True(line.Length <= 76, $"line of {line.Length}: {line}"));
    }

    [Fact]
    public void The_boundary_appears_only_as_boundaries()
    {
        var text = Encoding.ASCII.GetString(Bytes(Message(), NewLineFormat.Dos));

        var lines = text.Split("\r\n").Where(l => l.Contains("=_0123456789abcdef")).ToList();
        Assert.Equal(["Content-Type: multipart/alternative; boundary=\"=_0123456789abcdef\"", "--=_0123456789abcdef", "--=_0123456789abcdef", "--=_0123456789abcdef--"], lines);
    }

    [Fact]
    public void Written_twice_it_is_the_same_and_once_disposed_it_says_so()
    {
        var message = Message();
        Assert.Equal(Bytes(message, NewLineFormat.Dos), Bytes(message, NewLineFormat.Dos));

        message.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Bytes(message, NewLineFormat.Dos));
    }
}

using Dispatcher.Mail;
using MimeKit;

namespace Dispatcher.Tests.Mail;

public sealed class MessageFactoryTests
{
    private static readonly MessageFactory Factory = new(
        new MailOptions { FromAddress = "news@example.org", FromName = "Socialism From Below", BounceAddress = "bounces@example.org" },
        TimeProvider.System);

    private static OutgoingMessage Message(string subject = "Stop the repression of South Korean trade unionists", string? name = "Ana") => new()
    {
        Subject = subject,
        Body = new RenderedBody("<p>Hello</p>", "Hello\n"),
        ToAddress = "ana@example.org",
        ToName = name,
        MessageId = "d40.s7.0123456789ab@example.org",
        List = new ListIdentity("statements", "Statements – Erdoğan"),
        UnsubscribeUrl = "https://dispatch.example.org/unsubscribe/TOKEN",
        UnsubscribeMailto = "mailto:bounces@example.org?subject=unsubscribe%20TOKEN",
    };

    private static MimeMessage RoundTrip(MimeMessage message)
    {
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        return MimeMessage.Load(stream);
    }

    [Fact]
    public void A_bulk_message_has_the_list_headers_mailbox_providers_require()
    {
        var mime = RoundTrip(Factory.Create(Message()));

        Assert.Equal("<https://dispatch.example.org/unsubscribe/TOKEN>, <mailto:bounces@example.org?subject=unsubscribe%20TOKEN>", mime.Headers[HeaderId.ListUnsubscribe]);
        Assert.Equal("List-Unsubscribe=One-Click", mime.Headers["List-Unsubscribe-Post"]);
        Assert.EndsWith("<statements.example.org>", mime.Headers[HeaderId.ListId]);
        Assert.Contains("Erdoğan", mime.Headers[HeaderId.ListId]);
        Assert.Equal("bulk", mime.Headers[HeaderId.Precedence]);
        Assert.Equal("d40.s7.0123456789ab@example.org", mime.MessageId);
        Assert.True(mime.Date > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal("\"Socialism From Below\" <news@example.org>", mime.From.ToString());
    }

    [Fact]
    public void The_body_is_multipart_alternative_text_then_html()
    {
        var mime = RoundTrip(Factory.Create(Message()));

        var alternative = Assert.IsType<MultipartAlternative>(mime.Body);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType));
        Assert.Equal("Hello\n", mime.TextBody?.ReplaceLineEndings("\n"));
        Assert.Equal("<p>Hello</p>", mime.HtmlBody);
    }

    [Theory]
    [InlineData("Stop the repression\r\nBcc: victim@example.org")]
    [InlineData("Stop the repression\nBcc: victim@example.org")]
    [InlineData("Stop the repression\rBcc: victim@example.org")]
    public void A_subject_or_name_with_line_breaks_cannot_add_a_header_or_recipient(string hostile)
    {
        var mime = RoundTrip(Factory.Create(Message(subject: hostile, name: hostile)));

        Assert.Empty(mime.Bcc);
        Assert.Null(mime.Headers[HeaderId.Bcc]);
        Assert.Single(mime.To.Mailboxes);
        Assert.Equal("ana@example.org", mime.To.Mailboxes.Single().Address);
        Assert.Equal("Stop the repression Bcc: victim@example.org", mime.Subject);
    }

    [Theory]
    [InlineData("Ankara bomb attacks: Blood on Erdoğan’s hands")]
    [InlineData("한국 노동조합원에 대한 탄압을 중단하라")]
    [InlineData("أوقفوا القمع")]
    public void Non_ascii_subjects_are_encoded_and_read_back_intact(string subject)
    {
        var message = Factory.Create(Message(subject: subject, name: subject));
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        var raw = stream.ToArray();

        Assert.All(raw, b => Assert.True(b < 128)); // RFC 2047 and quoted-printable: plain ASCII on the wire
        Assert.Contains("=?utf-8?", System.Text.Encoding.ASCII.GetString(raw));
        var mime = RoundTrip(message);
        Assert.Equal(subject, mime.Subject);
        Assert.Equal(subject, mime.To.Mailboxes.Single().Name);
    }

    [Fact]
    public void A_message_without_a_list_has_no_list_headers_and_no_bulk_precedence()
    {
        var mime = Factory.Create(Message() with { List = null, UnsubscribeUrl = null, UnsubscribeMailto = null, Bulk = false });

        Assert.Null(mime.Headers[HeaderId.ListId]);
        Assert.Null(mime.Headers[HeaderId.ListUnsubscribe]);
        Assert.Null(mime.Headers["List-Unsubscribe-Post"]);
        Assert.Null(mime.Headers[HeaderId.Precedence]);
    }

    [Fact]
    public void Headers_formatted_once_and_reused_still_follow_each_message()
    {
        // Subject, From, List-Id and Date are formatted once and copied into later messages: each copy must be its own.
        var first = RoundTrip(Factory.Create(Message(subject: "Ankara bomb attacks")));
        var second = RoundTrip(Factory.Create(Message(subject: "Stop the repression") with { List = new ListIdentity("alerts", "Alerts") }));
        var third = RoundTrip(Factory.Create(Message(subject: "Ankara bomb attacks")));

        Assert.Equal(["Ankara bomb attacks", "Stop the repression", "Ankara bomb attacks"], new[] { first, second, third }.Select(m => m.Subject));
        Assert.Equal(["statements", "alerts", "statements"], new[] { first, second, third }.Select(m => m.Headers[HeaderId.ListId]!.Split('<')[1].Split('.')[0]));
        Assert.All(new[] { first, second, third }, m => Assert.Equal("\"Socialism From Below\" <news@example.org>", m.From.ToString()));
        Assert.All(new[] { first, second, third }, m => Assert.Equal(1, m.Headers.Count(h => h.Id == HeaderId.Subject)));
    }
}

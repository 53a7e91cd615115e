using Dispatcher.Mail;
using Dispatcher.Statements;

namespace Dispatcher.Tests.Mail;

public sealed class StatementRenderingTests
{
    internal const string HostileTitle = "Ankara bomb attacks: Blood on Erdoğan's hands <b>&</b>";

    internal static readonly EmailRenderer Renderer = new(Path.Combine(AppContext.BaseDirectory, "templates"), "Socialism From Below");

    internal static Task<CompiledEmail> CompileAsync(string title = HostileTitle, string? bodyHtml = null) =>
        Renderer.CompileAsync("Statement", title, recipient => new StatementEmail
        {
            Recipient = recipient,
            PublicBaseUrl = "https://dispatch.example.org",
            ListName = "Statements <EN>",
            Preheader = "Over a hundred are dead after a bomb attack on a peace rally.",
            Title = title,
            Author = "IST Steering Committee",
            PublishedAt = new DateTime(2015, 10, 12, 9, 0, 0, DateTimeKind.Utc),
            Summary = "Over a hundred are dead & scores more seriously injured after a bomb attack on a peace rally in Ankara.",
            BodyHtml = bodyHtml,
            Url = "https://example.org/statements/ankara?lang=en&ref=mail",
        });

    private static readonly Personalisation Ana = new("Ana <script>alert(1)</script>", "ana@example.org",
        "https://dispatch.example.org/unsubscribe/TOKEN-A", "https://dispatch.example.org/preferences/PREF-A");

    [Fact]
    public async Task Title_and_summary_are_html_encoded_in_the_html_part()
    {
        var body = (await CompileAsync()).For(Ana);

        Assert.DoesNotContain("<b>&</b>", body.Html);
        Assert.Contains("&lt;b&gt;&amp;&lt;/b&gt;", body.Html);
        Assert.Contains("dead &amp; scores", body.Html);
        Assert.Contains("Blood on Erdoğan's hands &lt;b&gt;&amp;&lt;/b&gt;", body.Html);
    }

    [Fact]
    public async Task The_recipients_name_is_encoded_and_cannot_inject_markup()
    {
        var body = (await CompileAsync()).For(Ana);

        Assert.DoesNotContain("<script>", body.Html);
        Assert.Contains("Dear Ana &lt;script&gt;alert(1)&lt;/script&gt;,", body.Html);
        Assert.Contains("Dear Ana <script>alert(1)</script>,", body.Text); // plain text is not HTML: nothing to escape
    }

    [Fact]
    public async Task The_copy_sent_in_wire_form_decodes_to_the_copy_as_text_in_lines_of_at_most_76_with_and_without_a_name()
    {
        // A statement in Korean is mostly escapes in quoted-printable: the template's text is encoded in pieces too.
        const string korean = "한국 노동조합원에 대한 탄압을 중단하라";
        var emails = new[] { await CompileAsync(), await CompileAsync(korean, $"<p>{string.Concat(Enumerable.Repeat(korean + " ", 12))}</p>") };
        var longName = string.Concat(Enumerable.Repeat("Çelik ", 40)) + "=?utf-8?q?x?=";

        foreach (var compiled in emails)
        foreach (var person in new[] { Ana, Ana with { Name = null }, Ana with { Name = "Zeynep Çelik\r\nBcc: x@example.org" }, Ana with { Name = longName } })
        {
            var text = compiled.For(person);
            var wire = compiled.Personalise(person);
            foreach (var html in new[] { true, false })
            {
                var (encoded, decoded) = Wire(wire, html);
                Assert.Equal((html ? text.Html : text.Text).Replace("\r\n", "\n"), decoded.Replace("\r\n", "\n"));
                // Seven-bit, CRLF only, no line longer than quoted-printable allows.
                Assert.All(encoded.Split("\r\n"), line => Assert.True(line.Length <= 76 && !line.Contains('\n') && !line.Contains('\r'), line));
                Assert.All(encoded, c => Assert.True(c < 128));
                Assert.Equal(decoded, Wire(text, html).Decoded);
            }
        }

        static (string Encoded, string Decoded) Wire(IMessageBody body, bool html)
        {
            var (buffer, length) = body.RentQuotedPrintable(html);
            try
            {
                var decoder = new MimeKit.Encodings.QuotedPrintableDecoder();
                var output = new byte[decoder.EstimateOutputLength(length)];
                var decoded = decoder.Decode(buffer, 0, length, output);
                return (System.Text.Encoding.ASCII.GetString(buffer, 0, length), System.Text.Encoding.UTF8.GetString(output, 0, decoded));
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    [Fact]
    public async Task A_compiled_email_kept_as_its_parts_fills_in_the_same_and_refuses_a_nonce_that_is_not_one()
    {
        var compiled = await CompileAsync();
        var again = CompiledEmail.From(compiled.Parts);

        Assert.Equal(compiled.For(Ana), again.For(Ana));
        Assert.Equal(compiled.For(Ana with { Name = null }), again.For(Ana with { Name = null }));
        Assert.Equal(HostileTitle, again.Subject);
        Assert.Throws<FormatException>(() => CompiledEmail.From(compiled.Parts with { Nonce = "([0-9])" }));
    }

    [Fact]
    public async Task Without_a_name_there_is_no_greeting()
    {
        var body = (await CompileAsync()).For(Ana with { Name = null });

        Assert.DoesNotContain("Dear", body.Html);
        Assert.DoesNotContain("Dear", body.Text);
    }

    [Fact]
    public async Task The_plain_text_part_says_the_same_with_links_written_out()
    {
        var body = (await CompileAsync()).For(Ana);

        Assert.Contains(HostileTitle, body.Text);
        Assert.Contains("Monday 12 October 2015 · IST Steering Committee", body.Text);
        Assert.Contains("Read the full statement (https://example.org/statements/ankara?lang=en&ref=mail)", body.Text);
        Assert.Contains("Unsubscribe (https://dispatch.example.org/unsubscribe/TOKEN-A)", body.Text);
        Assert.Contains("Change your preferences (https://dispatch.example.org/preferences/PREF-A)", body.Text);
        Assert.DoesNotContain("<", body.Text.Replace("<script>", "").Replace("</script>", "").Replace("<b>", "").Replace("</b>", "").Replace("<EN>", ""));
        Assert.DoesNotContain("Over a hundred are dead after", body.Text); // the hidden preheader is not part of the text
    }

    [Fact]
    public async Task Links_carry_each_persons_own_unsubscribe_and_preferences_urls()
    {
        var email = await CompileAsync();
        var ana = email.For(Ana);
        var ben = email.For(new Personalisation("Ben", "ben@example.org", "https://d.example/unsubscribe/B&x", "https://d.example/preferences/PB"));

        Assert.Contains("href=\"https://dispatch.example.org/unsubscribe/TOKEN-A\"", ana.Html);
        Assert.Contains("href=\"https://d.example/unsubscribe/B&amp;x\"", ben.Html);
        Assert.DoesNotContain("TOKEN-A", ben.Html);
    }

    [Fact]
    public async Task Css_is_inlined_into_the_elements()
    {
        var body = (await CompileAsync()).For(Ana);

        Assert.Matches("<h1 style=\"[^\"]*font-size: 24px", body.Html);
        Assert.Matches("<a class=\"button\" href=\"[^\"]*\" style=\"[^\"]*background", body.Html.Replace("&amp;", "&"));
        Assert.Contains("prefers-color-scheme: dark", body.Html); // media queries stay in the style block
    }

    [Fact]
    public async Task A_body_is_written_as_given_once_it_was_sanitised_on_the_way_in()
    {
        var body = (await CompileAsync(bodyHtml: "<p>The rally was <strong>unarmed</strong>.</p>")).For(Ana);

        Assert.Contains("<strong", body.Html);
        Assert.Contains("The rally was unarmed.", body.Text);
    }

    [Fact]
    public async Task Statement_text_that_looks_like_a_placeholder_is_left_alone()
    {
        var body = (await CompileAsync(title: "zq00000000000000000qz and zq")).For(Ana);

        Assert.Contains("zq00000000000000000qz and zq", body.Text);
    }
}

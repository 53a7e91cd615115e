using System.Net;
using System.Text.RegularExpressions;
using Dispatcher.IntegrationTests.Infrastructure;
using MimeKit;

namespace Dispatcher.IntegrationTests.Statements;

/// <summary>The walking skeleton end to end, on both stacks: a statement posted to the API reaches every confirmed
/// "immediate" subscriber of its lists exactly once, through the bus, the Razor template and a real SMTP server.</summary>
public sealed class StatementFlowTests
{
    private const string HostileTitle = "Ankara bomb attacks: Blood on Erdoğan’s hands <b>&</b>";

    [Theory]
    [BothStacks]
    public async Task A_statement_reaches_every_immediate_subscriber_once_and_one_click_unsubscribe_stops_the_next(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        var api = app.Api;

        await api.CreateListAsync("statements", "Statements");
        await api.CreateListAsync("turkey", "Turkey solidarity");
        var immediate = Enumerable.Range(1, 20).Select(i => $"reader{i}@example.org").ToList();
        foreach (var email in immediate) await api.SubscribeAsync("statements", email, name: $"Reader {email[6..^12]}");
        foreach (var email in immediate.Take(5)) await api.SubscribeAsync("turkey", email); // on both lists: still one email
        await api.SubscribeAsync("turkey", "kurdish.comrade@example.org", name: "Rojda");
        await api.SubscribeAsync("statements", "digest.reader@example.org", cadence: "daily");
        await api.SubscribeAsync("statements", "weekly.reader@example.org", cadence: "weekly");
        await api.SubscribeAsync("statements", "not.yet@example.org", confirmed: false); // double opt-in: waits for confirmation
        var expected = immediate.Append("kurdish.comrade@example.org").ToList();

        var (statementId, dispatchId) = await api.PublishAsync(new
        {
            title = HostileTitle,
            author = "IST Steering Committee",
            publishedAt = "2015-10-12T09:00:00Z",
            summary = "Over a hundred are dead after a bomb attack on a peace rally in the Turkish capital.",
            url = "https://example.org/statements/ankara",
            lists = new[] { "statements", "turkey" },
            externalId = "ankara-2015-10-12",
        });
        Assert.NotNull(dispatchId);

        var dispatch = await api.WaitForDispatchAsync(dispatchId.Value);
        Assert.Equal("statement", dispatch["kind"]!.GetValue<string>());
        Assert.Equal(statementId, dispatch["statementId"]!.GetValue<long>());
        Assert.Equal(expected.Count, dispatch.Int("total"));
        Assert.Equal(expected.Count, dispatch.Int("sent"));
        Assert.Equal(0, dispatch.Int("failed") + dispatch.Int("bounced") + dispatch.Int("skipped") + dispatch.Int("pending"));

        // Exactly one message per person, none for digest readers or the unconfirmed (who got only their confirmation).
        Assert.Equal(expected.Order(), smtp.Received.Where(m => m.Subject == HostileTitle).Select(m => m.To).Order());
        Assert.All(smtp.To("not.yet@example.org"), m => Assert.StartsWith("Confirm your subscription", m.Subject));

        var mail = smtp.To("reader3@example.org").Single();
        AssertWellFormed(mail, expectedListId: "<statements.example.org>");
        Assert.Equal(HostileTitle, mail.Message.Subject);
        Assert.Contains("Blood on Erdoğan’s hands &lt;b&gt;&amp;&lt;/b&gt;", mail.Message.HtmlBody);
        Assert.DoesNotContain("<b>&</b>", mail.Message.HtmlBody);
        Assert.Contains("Dear Reader 3,", mail.Message.TextBody);
        Assert.Contains("Read the full statement (https://example.org/statements/ankara)", mail.Message.TextBody);

        // One click, exactly as Gmail sends it: POST, form body, no cookie, no antiforgery token.
        var unsubscribeUrl = UnsubscribeUrlOf(mail);
        Assert.Contains(unsubscribeUrl, mail.Message.HtmlBody); // the footer links to the same page
        using var anonymous = app.ClientWithKey(null);
        using var oneClick = await anonymous.PostAsync(new Uri(unsubscribeUrl).PathAndQuery,
            new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);

        var (_, nextDispatchId) = await api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var next = await api.WaitForDispatchAsync(nextDispatchId!.Value);
        Assert.Equal(immediate.Count - 1, next.Int("sent"));
        Assert.DoesNotContain(smtp.To("reader3@example.org"), m => m.Subject.Contains("South Korean"));
        Assert.Equal(immediate.Count - 1, smtp.Received.Count(m => m.Subject.Contains("South Korean")));
    }

    [Theory]
    [BothStacks]
    public async Task The_same_external_id_twice_is_one_statement_sent_once(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "ana@example.org");
        var statement = new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" }, externalId = "https://example.org/?p=4021" };

        var (id, dispatchId) = await app.Api.PublishAsync(statement);
        var again = await app.Api.PostOkAsync("/api/statements", statement, HttpStatusCode.OK);
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);

        Assert.Equal(id, again["id"]!.GetValue<long>());
        Assert.Equal(dispatchId, again["dispatchId"]!.GetValue<long>());
        var statements = await app.Api.GetJsonAsync("/api/statements");
        Assert.Single(statements["items"]!.AsArray());
        Assert.Single(smtp.Received);
    }

    [Fact]
    public async Task Nobody_taking_statements_at_once_means_no_dispatch()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp);
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "digest.reader@example.org", cadence: "weekly");

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "We don't want Trump—but neither do the bosses", lists = new[] { "statements" } });

        Assert.Null(dispatchId);
    }

    [Fact]
    public async Task The_capture_mailbox_shows_what_was_sent_when_no_relay_is_set()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "ana@example.org", name: "Ana");

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);

        var mailbox = await app.Api.GetJsonAsync("/api/mailbox?limit=10");
        var item = mailbox["items"]!.AsArray().Single()!;
        Assert.Equal("Stop the repression of South Korean trade unionists", item["subject"]!.GetValue<string>());
        Assert.Equal("ana@example.org", item["to"]![0]!.GetValue<string>());

        using var raw = await app.Api.GetAsync($"/api/mailbox/{item["id"]}");
        Assert.Equal("message/rfc822", raw.Content.Headers.ContentType?.MediaType);
        var message = await MimeMessage.LoadAsync(await raw.Content.ReadAsStreamAsync());
        Assert.Equal("Ana", message.To.Mailboxes.Single().Name);
    }

    internal static void AssertWellFormed(ReceivedMail mail, string expectedListId)
    {
        var message = mail.Message;
        Assert.IsType<MultipartAlternative>(message.Body);
        Assert.False(string.IsNullOrWhiteSpace(message.TextBody));
        Assert.False(string.IsNullOrWhiteSpace(message.HtmlBody));
        Assert.EndsWith(expectedListId, message.Headers[HeaderId.ListId]);
        Assert.Equal("List-Unsubscribe=One-Click", message.Headers["List-Unsubscribe-Post"]);
        Assert.Matches(@"^<https://dispatch\.example\.org/unsubscribe/[A-Za-z0-9_-]+>, <mailto:bounces@example\.org\?subject=unsubscribe%20[A-Za-z0-9_-]+>$",
            message.Headers[HeaderId.ListUnsubscribe]);
        Assert.Matches(@"^d\d+\.s\d+\.[0-9a-f]{12}@example\.org$", message.MessageId);
        Assert.Matches(@"^bounces\+\d+\.[0-9a-f]{12}@example\.org$", mail.EnvelopeFrom); // VERP
        Assert.Null(message.Headers[HeaderId.DkimSignature]); // not configured here
        Assert.Contains("/preferences/", message.HtmlBody);
        Assert.NotEqual(default, message.Date);
    }

    internal static string UnsubscribeUrlOf(ReceivedMail mail) =>
        Regex.Match(mail.Message.Headers[HeaderId.ListUnsubscribe] ?? "", "<(https://[^>]+)>").Groups[1].Value;
}

using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dispatcher.IntegrationTests.Infrastructure;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;
using MimeKit;

namespace Dispatcher.IntegrationTests.Bounces;

/// <summary>The bounce mailbox on a real Dovecot: real DSN and ARF samples (Postfix, Exim, Gmail, Microsoft 365, Yahoo,
/// qmail), each made out to what one subscriber was really sent, reach the right person — and forged, unreadable or
/// human mail is kept aside, never lost.</summary>
public sealed class BounceMailboxTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static async Task<(DispatcherApp App, TestSmtpServer Smtp, string Mailbox)> StartAsync(string protocol, string keepMessages = "1000")
    {
        var smtp = await TestSmtpServer.StartAsync();
        var mailbox = $"bounces-{Guid.NewGuid():N}";
        var (host, port) = protocol == "Imap" ? TestServices.Imap : TestServices.Pop3;
        var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            [$"Bounces:{protocol}:Host"] = host,
            [$"Bounces:{protocol}:Port"] = port.ToString(),
            [$"Bounces:{protocol}:Security"] = "None",
            [$"Bounces:{protocol}:Username"] = mailbox,
            [$"Bounces:{protocol}:Password"] = TestServices.MailboxPassword,
            ["Bounces:PollInterval"] = "00:00:01",
            ["Bounces:KeepMessages"] = keepMessages,
        });
        return (app, smtp, mailbox);
    }

    /// <summary>Sends a statement to these people and returns what each of them received.</summary>
    private static async Task<(long DispatchId, Dictionary<string, ReceivedMail> Received)> SendStatementAsync(DispatcherApp app, TestSmtpServer smtp, IEnumerable<string> people)
    {
        await app.Api.CreateListAsync("statements", "Statements");
        var emails = people.Select(p => $"{p}@example.net").ToList();
        foreach (var email in emails) await app.Api.SubscribeAsync("statements", email);
        var (_, dispatchId) = await app.Api.PublishAsync(new
        {
            title = "Stop the repression of South Korean trade unionists", url = "https://example.org/statements/korea", lists = new[] { "statements" },
        });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        return (dispatchId.Value, emails.ToDictionary(e => e.Split('@')[0], e => smtp.To(e).Single()));
    }

    /// <summary>A sample, made out to what this person was really sent (their VERP envelope sender and Message-ID).</summary>
    private static MimeMessage Report(string sample, ReceivedMail sent, string? verp = null, string? messageId = null)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "bounces", sample + ".eml"))
            .Replace("{{VERP}}", verp ?? sent.EnvelopeFrom).Replace("{{RCPT}}", sent.To).Replace("{{MESSAGE_ID}}", messageId ?? sent.Message.MessageId)
            .Replace("{{BOUNCE}}", "bounces@example.org").Replace("{{SUBJECT}}", sent.Subject);
        return MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>What a mail program sends for the mailto: of List-Unsubscribe.</summary>
    private static MimeMessage MailtoUnsubscribe(ReceivedMail sent)
    {
        var mailto = Regex.Match(sent.Message.Headers[HeaderId.ListUnsubscribe]!, "<mailto:([^?>]+)\\?subject=([^>]+)>");
        var message = new MimeMessage { Subject = Uri.UnescapeDataString(mailto.Groups[2].Value) };
        message.From.Add(MailboxAddress.Parse(sent.To));
        message.To.Add(MailboxAddress.Parse(mailto.Groups[1].Value));
        message.Body = new TextPart("plain") { Text = "" };
        return message;
    }

    private static async Task<string> StatusOfAsync(DispatcherApp app, string person) =>
        (await app.Api.GetJsonAsync($"/api/subscribers/{person}@example.net"))["subscriptions"]![0]!["status"]!.GetValue<string>();

    private static async Task<int> ImapCountAsync(string mailbox, Func<ImapClient, Task>? before = null)
    {
        using var imap = new ImapClient();
        var (host, port) = TestServices.Imap;
        await imap.ConnectAsync(host, port, SecureSocketOptions.None);
        await imap.AuthenticateAsync(mailbox, TestServices.MailboxPassword);
        if (before is not null) await before(imap);
        var inbox = await imap.GetFolderAsync("INBOX");
        await inbox.StatusAsync(StatusItems.Count);
        await imap.DisconnectAsync(true);
        return inbox.Count;
    }

    private static Task AppendAsync(string mailbox, params MimeMessage[] messages) =>
        ImapCountAsync(mailbox, async imap =>
        {
            var inbox = await imap.GetFolderAsync("INBOX");
            foreach (var message in messages) await inbox.AppendAsync(message);
        });

    [Fact]
    public async Task Reports_in_a_real_imap_mailbox_reach_the_right_people_and_nothing_is_lost()
    {
        var (app, smtp, mailbox) = await StartAsync("Imap");
        await using var _ = app;
        await using var __ = smtp;
        var people = new[] { "postfix", "exim", "gmail", "microsoft", "delayed", "yahoo", "jmrp", "qmail", "away", "forged", "leaving" };
        var (dispatchId, sent) = await SendStatementAsync(app, smtp, people);

        // Every envelope sender is the person's own signed VERP address.
        Assert.All(sent.Values, m => Assert.Matches(@"^bounces\+[0-9]+\.[0-9a-f]{12}@example\.org$", m.EnvelopeFrom));
        Assert.Equal(sent.Count, sent.Values.Select(m => m.EnvelopeFrom).Distinct().Count());

        var forgedVerp = Regex.Replace(sent["forged"].EnvelopeFrom, @"\.[0-9a-f]{12}@", ".000000000000@");
        await AppendAsync(mailbox,
            Report("postfix-user-unknown", sent["postfix"]),
            Report("exim-mailbox-full", sent["exim"]),
            Report("gmail-no-such-user", sent["gmail"]),
            Report("microsoft-recipient-rejected", sent["microsoft"]),
            Report("postfix-delayed", sent["delayed"]),
            Report("yahoo-arf-complaint", sent["yahoo"]),
            Report("microsoft-jmrp-complaint", sent["jmrp"]),   // no VERP anywhere: found by its Message-ID
            Report("qmail-plain-bounce", sent["qmail"]),        // no delivery-status part: found by VERP, reason from the text
            Report("out-of-office", sent["away"]),
            Report("postfix-user-unknown", sent["forged"], verp: forgedVerp, messageId: "d1.s1.000000000000@example.org"),
            Report("human-reply", sent["away"]),
            MailtoUnsubscribe(sent["leaving"]));

        await Eventually.UntilAsync(() => ImapCountAsync(mailbox), n => n == 0, Patience, "the reader to empty the mailbox");

        var expected = new Dictionary<string, string>
        {
            ["postfix"] = "bounced", ["gmail"] = "bounced", ["microsoft"] = "bounced", ["qmail"] = "bounced",
            ["yahoo"] = "complained", ["jmrp"] = "complained", ["leaving"] = "unsubscribed",
            ["exim"] = "confirmed", ["delayed"] = "confirmed", ["away"] = "confirmed", ["forged"] = "confirmed",
        };
        foreach (var (person, status) in expected) Assert.Equal((person, status), (person, await StatusOfAsync(app, person)));

        // Hard bounces after the relay accepted the message move the delivery from sent to bounced.
        var dispatch = await app.Api.GetJsonAsync($"/api/dispatches/{dispatchId}");
        Assert.Equal(4, dispatch.Int("bounced"));
        Assert.Equal(people.Length - 4, dispatch.Int("sent"));

        var bounces = (await app.Api.GetJsonAsync("/api/bounces"))["items"]!.AsArray();
        Assert.Equal(7, bounces.Count); // 4 hard, 1 soft, 2 complaints
        var soft = Assert.Single(bounces, b => b!["kind"]!.GetValue<string>() == "soft");
        Assert.Equal("exim@example.net", soft!["email"]!.GetValue<string>());
        Assert.Contains("552 5.2.2 Mailbox full", soft["reason"]!.GetValue<string>());
        Assert.All(bounces, b => Assert.Equal("mailbox", b!["source"]!.GetValue<string>()));

        // The forged bounce and the reader's reply are kept aside, whole.
        var kept = (await app.Api.GetJsonAsync("/api/bounces/kept"))["items"]!.AsArray();
        Assert.Equal(2, kept.Count);
        Assert.Contains(kept, k => k!["reason"]!.GetValue<string>().Contains("leads to no delivery of ours"));
        Assert.Contains(kept, k => k!["subject"]!.GetValue<string>().StartsWith("Re: Stop the repression"));
        var raw = await app.Api.GetStringAsync($"/api/bounces/kept/{kept[0]!["id"]}");
        Assert.Contains("Message-I", raw);

        // The same report read again (a crash between recording and deleting) counts once.
        await AppendAsync(mailbox, Report("exim-mailbox-full", sent["exim"]));
        await Eventually.UntilAsync(() => ImapCountAsync(mailbox), n => n == 0, Patience, "the reader to take the repeated report");
        Assert.Equal(7, (await app.Api.GetJsonAsync("/api/bounces"))["items"]!.AsArray().Count);
        Assert.Equal("confirmed", await StatusOfAsync(app, "exim"));
    }

    [Fact]
    public async Task A_pop3_mailbox_works_too_and_unreadable_mail_is_kept_not_lost()
    {
        var (app, smtp, mailbox) = await StartAsync("Pop3");
        await using var _ = app;
        await using var __ = smtp;
        var (_, sent) = await SendStatementAsync(app, smtp, ["gone"]);

        // Dovecot serves the same Maildir over IMAP and POP3: put the mail in over IMAP, let the reader take it over POP3.
        var garbage = new MimeMessage { Subject = "\u0001\u0002 not a report" };
        garbage.Body = new MimePart("application", "octet-stream") { Content = new MimeContent(new MemoryStream([0, 1, 2, 255, 254, 0])) };
        await AppendAsync(mailbox, Report("gmail-no-such-user", sent["gone"]), garbage);

        await Eventually.UntilAsync(() => StatusOfAsync(app, "gone"), s => s == "bounced", Patience, "the POP3 reader to record the bounce");
        await Eventually.UntilAsync(() => ImapCountAsync(mailbox), n => n == 0, Patience, "the POP3 reader to delete what it handled");
        var kept = Assert.Single((await app.Api.GetJsonAsync("/api/bounces/kept"))["items"]!.AsArray());
        Assert.Equal("not a bounce, complaint or unsubscribe", kept!["reason"]!.GetValue<string>());

        using var pop3 = new Pop3Client();
        var (host, port) = TestServices.Pop3;
        await pop3.ConnectAsync(host, port, SecureSocketOptions.None);
        await pop3.AuthenticateAsync(mailbox, TestServices.MailboxPassword);
        Assert.Equal(0, pop3.Count);
        await pop3.DisconnectAsync(true);
    }

    [Fact]
    public async Task Kept_mail_is_other_peoples_mail_so_only_the_newest_are_kept()
    {
        var (app, smtp, mailbox) = await StartAsync("Imap", keepMessages: "2");
        await using var _ = app;
        await using var __ = smtp;
        var (_, sent) = await SendStatementAsync(app, smtp, ["reader"]);

        foreach (var reply in new[] { "first", "second", "third" })
        {
            var message = Report("human-reply", sent["reader"]);
            message.Subject = $"Re: {reply}";
            await AppendAsync(mailbox, message);
            await Eventually.UntilAsync(() => ImapCountAsync(mailbox), n => n == 0, Patience, $"the reader to keep the {reply} reply");
        }

        var kept = (await app.Api.GetJsonAsync("/api/bounces/kept"))["items"]!.AsArray().Select(k => k!["subject"]!.GetValue<string>()).ToList();
        Assert.Equal(["Re: third", "Re: second"], kept);
    }
}

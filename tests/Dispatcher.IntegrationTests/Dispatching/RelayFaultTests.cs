using System.Net;
using Dispatcher.IntegrationTests.Infrastructure;
using SmtpServer.Protocol;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>A relay that misbehaves the ways real ones do: unavailable for a while (421), dropping connections,
/// greylisting (451), a full mailbox (452) for good, an unknown user (550 5.1.1) and a policy refusal (554).
/// The final counts are exact, retries are spaced as configured, and nobody gets the message twice.</summary>
public sealed class RelayFaultTests
{
    [Fact]
    public async Task Temporary_failures_are_retried_with_back_off_and_permanent_ones_are_not()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:RetryBaseDelay"] = "00:00:01",
            ["Dispatching:RetryMaxDelay"] = "00:00:02",
            ["Dispatching:MaxAttempts"] = "5",
            ["Dispatching:BatchSize"] = "5",
        });
        await app.Api.CreateListAsync("statements");
        var fine = Enumerable.Range(1, 20).Select(i => $"reader{i}@example.org").ToList();
        foreach (var email in fine.Concat(["unknown@example.org", "blocked@example.org", "greylisted@example.org", "full@example.org"]))
            await app.Api.SubscribeAsync("statements", email);

        var greylisted = 0;
        smtp.RecipientReply = to => to switch
        {
            "unknown@example.org" => new SmtpResponse((SmtpReplyCode)550, "5.1.1 <unknown@example.org>: Recipient address rejected: User unknown"),
            "blocked@example.org" => new SmtpResponse((SmtpReplyCode)554, "5.7.1 Message refused by policy"),
            "greylisted@example.org" when Interlocked.Increment(ref greylisted) <= 2 => new SmtpResponse((SmtpReplyCode)451, "4.7.1 Greylisted, try again later"),
            _ => null,
        };
        smtp.MessageReply = to => to == "full@example.org" ? new SmtpResponse((SmtpReplyCode)452, "4.2.2 Mailbox full") : null;

        // First the relay is "down": it answers 421 to every message, then it drops three connections mid-message.
        var down = true;
        var original = smtp.MessageReply;
        smtp.MessageReply = to => down ? new SmtpResponse((SmtpReplyCode)421, "4.3.2 Service not available, closing channel") : original(to);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => smtp.Attempts.Count(a => a.Answer == "421") >= 3, TimeSpan.FromSeconds(30), "the relay to refuse some messages");
        Assert.Empty(smtp.Received);
        smtp.DropConnections = 3;
        down = false;

        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(90));

        var notSent = await app.Api.GetJsonAsync($"/api/dispatches/{dispatchId}/deliveries?status=failed");
        Assert.True(dispatch.Int("sent") == 21, $"{dispatch}\n{notSent}\n{string.Join("\n", smtp.Attempts)}"); // the 20, and greylisted on its third try
        Assert.Equal(1, dispatch.Int("bounced"));  // unknown: 550 5.1.1, not retried
        Assert.Equal(2, dispatch.Int("failed"));   // blocked: 554, not retried; full: 452 until MaxAttempts
        Assert.Equal(0, dispatch.Int("pending"));
        Assert.Equal(fine.Append("greylisted@example.org").Order(), smtp.Received.Select(m => m.To).Order()); // each once

        Assert.Single(smtp.Attempts, a => a.To == "unknown@example.org");
        Assert.Single(smtp.Attempts, a => a.To == "blocked@example.org");
        Assert.Equal(3, smtp.Attempts.Count(a => a.Answer == "dropped"));
        Assert.Equal("bounced", (await app.Api.GetJsonAsync("/api/subscribers/unknown@example.org"))["subscriptions"]![0]!["status"]!.GetValue<string>());
        Assert.Equal("confirmed", (await app.Api.GetJsonAsync("/api/subscribers/blocked@example.org"))["subscriptions"]![0]!["status"]!.GetValue<string>());

        // Retries are spaced by the back-off — 1 s, then 2 s, ±20 % jitter — never sooner; a full mailbox gives up
        // after Dispatching:MaxAttempts and says so. A message whose connection the relay closed without a word is
        // given back once, to go at once on another connection (SmtpSessionTests): that is not a retry, so the
        // spacing is between the tries the relay answered.
        foreach (var person in new[] { "full@example.org", "greylisted@example.org" })
        {
            var tries = smtp.Attempts.Where(a => a.To == person && a.Answer != "dropped").Select(a => a.At).Order().ToList();
            Assert.True(tries.Count >= 2, $"{person} was tried {tries.Count} times");
            var gaps = tries.Zip(tries.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
            Assert.All(gaps, gap => Assert.True(gap >= 0.8, $"{person}: retries after {string.Join(", ", gaps.Select(g => g.ToString("0.00")))} s"));
        }
        Assert.True(smtp.Attempts.Count(a => a.To == "full@example.org" && a.Answer == "452") >= 2);
        var failedRows = (await app.Api.GetJsonAsync($"/api/dispatches/{dispatchId}/deliveries?status=failed"));
        Assert.Contains(failedRows["items"]!.AsArray(), d => d!["email"]!.GetValue<string>() == "full@example.org"
            && d["response"]!.GetValue<string>().StartsWith("gave up after 5 attempts"));
    }

    [Fact]
    public async Task A_relay_down_for_a_while_holds_everything_and_takes_the_alert_first_when_it_returns()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(3);
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:RetryBaseDelay"] = "00:00:01",
            ["Dispatching:MaxAttempts"] = "2", // an outage must not use these up
        });
        await app.Api.CreateListWithReadersAsync("statements", 4_000);
        await app.Api.CreateListAsync("turkey");
        foreach (var i in Enumerable.Range(1, 100)) await app.Api.SubscribeAsync("turkey", $"activist{i}@example.org");

        var down = true;
        smtp.MessageReply = _ => down ? new SmtpResponse((SmtpReplyCode)421, "4.3.2 Service not available, closing channel") : null;
        var (_, bulkId) = await app.Api.PublishAsync(new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" } });
        var alert = await app.Api.PostOkAsync("/api/alerts", new
        {
            subject = "Ankara: protest at the Turkish embassy tonight", bodyMarkdown = "Meet at **18:00**.", lists = new[] { "turkey" },
        }, HttpStatusCode.Created);
        var alertId = (await app.Api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted))["dispatchId"]!.GetValue<long>();

        // Down long enough for both to be refused and to retry while it still is.
        await Eventually.UntilAsync(() => smtp.Attempts.Count(a => a.To.StartsWith("activist")) >= 2 && smtp.Attempts.Count(a => a.To.StartsWith("reader")) >= 2,
            TimeSpan.FromSeconds(30), "both dispatches to be refused more than once");
        Assert.Empty(smtp.Received);
        down = false;

        var bulk = await app.Api.WaitForDispatchAsync(bulkId!.Value, timeout: TimeSpan.FromSeconds(120));
        var alertDispatch = await app.Api.WaitForDispatchAsync(alertId, timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(4_000, bulk.Int("sent"));
        Assert.Equal(100, alertDispatch.Int("sent"));
        Assert.Equal(4_100, smtp.Received.Count); // nobody twice, nobody failed for the outage
        var lastAlert = smtp.Received.Where(m => m.Subject.StartsWith("Ankara")).Max(m => m.Sequence);
        var lastBulk = smtp.Received.Where(m => m.Subject.StartsWith("Syria")).Max(m => m.Sequence);
        Assert.True(lastAlert < lastBulk, $"the alert's last message was #{lastAlert}, the statement's #{lastBulk}");
    }
}

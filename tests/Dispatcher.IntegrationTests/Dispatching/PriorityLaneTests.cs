using System.Net;
using System.Text;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>Alerts (and confirmations) travel on their own queue, consumers and SMTP connections: a big statement send
/// in flight does not delay them. On real RabbitMQ and PostgreSQL.</summary>
public sealed class PriorityLaneTests
{
    private static async Task ImportAsync(HttpClient api, string list, int count, string prefix)
    {
        var csv = new StringBuilder("email,name\n");
        for (var i = 0; i < count; i++) csv.Append($"{prefix}{i}@example.org,Reader {i}\n");
        using var content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
        using var response = await api.PostAsync($"/api/lists/{list}/import", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_alert_to_500_people_is_delivered_before_a_20000_person_statement_send_finishes()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp);
        await app.Api.CreateListAsync("statements");
        await app.Api.CreateListAsync("turkey");
        await ImportAsync(app.Api, "statements", 20_000, "reader");
        await ImportAsync(app.Api, "turkey", 500, "activist");

        var (_, bulkId) = await app.Api.PublishAsync(new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n >= 500, TimeSpan.FromSeconds(120), "the bulk send to be under way");
        // From now on the relay keeps the statement's messages waiting: every bulk connection is busy, and the statement
        // cannot finish first however fast the machine is. The alert must get through beside it.
        smtp.Hold = to => to.StartsWith("reader", StringComparison.Ordinal);

        var alert = await app.Api.PostOkAsync("/api/alerts", new
        {
            subject = "Ankara: protest at the Turkish embassy tonight",
            bodyMarkdown = "Meet at **18:00**.",
            lists = new[] { "turkey" },
        }, HttpStatusCode.Created);
        var sent = await app.Api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted);
        await app.Api.SubscribeAsync("turkey", "newcomer@example.org", confirmed: false); // a confirmation, also on the urgent lane
        var alertDispatch = await app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>(), timeout: TimeSpan.FromSeconds(60));
        await Eventually.UntilAsync(() => Task.FromResult(smtp.To("newcomer@example.org").Count), n => n == 1, TimeSpan.FromSeconds(60), "the confirmation");

        var bulkNow = await app.Api.GetJsonAsync($"/api/dispatches/{bulkId}");
        smtp.Release();
        Assert.Equal(500, alertDispatch.Int("sent"));
        Assert.Equal("sending", bulkNow["status"]!.GetValue<string>());
        Assert.True(bulkNow.Int("pending") > 0, $"the bulk send finished first: {bulkNow}");

        var received = smtp.Received;
        var lastAlert = received.Where(m => m.Subject.StartsWith("Ankara")).Max(m => m.Sequence);
        var lastConfirmation = received.Where(m => m.To == "newcomer@example.org").Max(m => m.Sequence);
        var bulk = await app.Api.WaitForDispatchAsync(bulkId!.Value, timeout: TimeSpan.FromMinutes(5));
        var lastBulk = smtp.Received.Where(m => m.Subject.StartsWith("Syria")).Max(m => m.Sequence);
        Assert.True(lastAlert < lastBulk && lastConfirmation < lastBulk, "alerts and confirmations went ahead of the bulk send");
        Assert.Equal(20_000, bulk.Int("sent"));
        Assert.Equal(20_000, smtp.Received.Where(m => m.Subject.StartsWith("Syria")).Select(m => m.To).Distinct().Count());
    }
}

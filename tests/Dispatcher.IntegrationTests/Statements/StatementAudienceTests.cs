using System.Net;
using System.Text;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Statements;

/// <summary>A statement with an audience reaches only the people of its lists whose attributes match — at once, and in
/// their digests, where it is left out for everyone else.</summary>
public sealed class StatementAudienceTests
{
    private const string Readers = """
        email,name,cadence,country
        minji@example.org,Min-ji,immediate,KR
        elif@example.org,Elif,immediate,TR
        jiho@example.org,Ji-ho,daily,KR
        ayse@example.org,Ayşe,daily,TR
        """;

    [Theory]
    [BothStacks]
    public async Task A_statement_to_country_KR_reaches_only_those_readers_at_once_and_in_digests(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        await app.Api.ImportCsvAsync("solidarity", Encoding.UTF8.GetBytes(Readers), "?confirmed=true");

        var (korea, dispatchId) = await app.Api.PublishAsync(new
        {
            title = "Stop the repression of South Korean trade unionists",
            lists = new[] { "solidarity" },
            audience = new Dictionary<string, string[]> { ["country"] = ["KR"] },
        });
        var atOnce = await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        Assert.Equal(1, atOnce.Int("total")); // Min-ji, not Elif
        Assert.Equal("KR", (await app.Api.GetJsonAsync($"/api/statements/{korea}"))["audience"]!["country"]![0]!.GetValue<string>());
        await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan’s hands", lists = new[] { "solidarity" } });

        var run = await app.Api.PostOkAsync("/api/digests/daily/run", new { }, HttpStatusCode.Accepted);
        var digest = await app.Api.WaitForDispatchAsync(run["dispatchId"]!.GetValue<long>());
        Assert.Equal(2, digest.Int("total"));
        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n >= 5, TimeSpan.FromSeconds(30), "five messages");

        Assert.Single(smtp.To("minji@example.org"), m => m.Message.Subject!.StartsWith("Stop the repression"));
        Assert.DoesNotContain(smtp.To("elif@example.org"), m => m.Message.Subject!.StartsWith("Stop the repression"));
        var jiho = Assert.Single(smtp.To("jiho@example.org")).Message;
        Assert.StartsWith("Daily statements: 2 new", jiho.Subject);
        var ayse = Assert.Single(smtp.To("ayse@example.org")).Message;
        Assert.StartsWith("Daily statements: 1 new — Ankara", ayse.Subject);
        Assert.DoesNotContain("South Korean", ayse.TextBody);
    }

    [Fact]
    public async Task A_bad_audience_or_an_unknown_segment_is_refused_naming_the_field()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        var problem = await app.Api.PostOkAsync("/api/statements", new
        {
            title = "Vigil", lists = new[] { "solidarity" }, audience = new Dictionary<string, string[]> { ["Country!"] = ["KR"] },
        }, HttpStatusCode.BadRequest);
        Assert.Contains("audience.Country!", problem["errors"]!.AsObject().Select(e => e.Key));
        problem = await app.Api.PostOkAsync("/api/statements", new { title = "Vigil", lists = new[] { "solidarity" }, segment = "nobody-saved-this" },
            HttpStatusCode.BadRequest);
        Assert.Contains("segment", problem["errors"]!.AsObject().Select(e => e.Key));
    }
}

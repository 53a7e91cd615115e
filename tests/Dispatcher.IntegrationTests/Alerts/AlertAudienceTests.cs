using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Alerts;

/// <summary>An alert's audience: only the people of its lists whose attributes match get it — every key, any of a key's
/// values — and the count and sample an approver sees are those people.</summary>
public sealed class AlertAudienceTests
{
    private const string Readers = """
        email,name,country,city
        minji@example.org,Min-ji,KR,Seoul
        jiho@example.org,Ji-ho,KR,Busan
        seoyeon@example.org,Seo-yeon,KR,Daegu
        elif@example.org,Elif,TR,İstanbul
        anna@example.org,Anna,,
        """;

    [Theory]
    [BothStacks]
    public async Task An_alert_to_country_KR_reaches_only_those_readers_and_its_audience_count_matches(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        await app.Api.ImportCsvAsync("solidarity", Encoding.UTF8.GetBytes(Readers), "?confirmed=true");

        var korea = await app.Api.PostOkAsync("/api/alerts", new
        {
            subject = "Stop the repression of South Korean trade unionists: rally tonight",
            bodyMarkdown = "Meet at **18:00**.",
            lists = new[] { "solidarity" },
            audience = new Dictionary<string, string[]> { ["country"] = ["KR"] },
        }, HttpStatusCode.Created);
        var id = korea["id"]!.GetValue<long>();
        Assert.Equal(3, korea["recipients"]!.GetValue<int>());
        Assert.Equal("KR", korea["audience"]!["country"]![0]!.GetValue<string>());

        var audience = await app.Api.GetJsonAsync($"/api/alerts/{id}/audience");
        Assert.Equal(3, audience["count"]!.GetValue<int>());
        Assert.Equal(["jiho@example.org", "minji@example.org", "seoyeon@example.org"],
            audience["sample"]!.AsArray().Select(e => e!.GetValue<string>()).Order());

        var sent = await app.Api.PostOkAsync($"/api/alerts/{id}/send", new { }, HttpStatusCode.Accepted);
        var dispatch = await app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>());
        Assert.Equal(3, dispatch["sent"]!.GetValue<int>());
        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n >= 3, TimeSpan.FromSeconds(30), "the alert to arrive");
        Assert.Equal(["jiho@example.org", "minji@example.org", "seoyeon@example.org"], smtp.Received.Select(m => m.To).Order());
    }

    [Theory]
    [BothStacks]
    public async Task Every_key_must_match_and_any_of_a_keys_values_will_do(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        await app.Api.ImportCsvAsync("solidarity", Encoding.UTF8.GetBytes(Readers), "?confirmed=true");

        async Task<List<string>> ReachedAsync(Dictionary<string, string[]> audience)
        {
            var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Vigil", bodyMarkdown = "Tonight.", lists = new[] { "solidarity" }, audience },
                HttpStatusCode.Created);
            var answer = await app.Api.GetJsonAsync($"/api/alerts/{alert["id"]}/audience");
            var sample = answer["sample"]!.AsArray().Select(e => e!.GetValue<string>()).Order().ToList();
            Assert.Equal(answer["count"]!.GetValue<int>(), sample.Count); // fewer than five here: the sample is all of them
            return sample;
        }

        Assert.Equal(["jiho@example.org", "minji@example.org"], await ReachedAsync(new() { ["country"] = ["KR"], ["city"] = ["Seoul", "Busan"] }));
        Assert.Equal(["elif@example.org"], await ReachedAsync(new() { ["city"] = ["İstanbul"] }));
        Assert.Empty(await ReachedAsync(new() { ["country"] = ["kr"] })); // as stored, case included
        Assert.Empty(await ReachedAsync(new() { ["union"] = ["KCTU"] })); // nobody has it
    }

    [Theory]
    [InlineData("""{"Country!": ["KR"]}""", "audience.Country!")]
    [InlineData("""{"country": []}""", "audience.country")]
    [InlineData("""{"country": ["KR", ""]}""", "audience.country[1]")]
    public async Task A_bad_audience_is_refused_naming_the_part(string audience, string field)
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("solidarity");
        var body = $$"""{"subject": "Vigil", "bodyMarkdown": "Tonight.", "lists": ["solidarity"], "audience": {{audience}}}""";

        using var response = await app.Api.PostAsync("/api/alerts", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem["errors"]![field] is not null, problem.ToJsonString());
    }

    [Fact]
    public async Task An_organiser_sees_the_audience_of_alerts_to_their_lists_only()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("korea", doubleOptIn: false);
        await app.Api.CreateListAsync("turkey", doubleOptIn: false);
        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Vigil", bodyMarkdown = "Tonight.", lists = new[] { "korea" } },
            HttpStatusCode.Created);
        var key = await app.Api.PostOkAsync("/api/keys", new { name = "turkey organiser", role = "organiser", lists = new[] { "turkey" } }, HttpStatusCode.Created);
        using var organiser = app.ClientWithKey(key["key"]!.GetValue<string>());

        using var response = await organiser.GetAsync($"/api/alerts/{alert["id"]}/audience");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Subscribers;

/// <summary>Named audiences: saved once, used by alerts, which keep their own copy.</summary>
public sealed class SegmentTests
{
    [Theory]
    [BothStacks]
    public async Task An_alert_given_a_segment_reaches_its_people_and_keeps_the_audience_when_the_segment_goes(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        await app.Api.ImportCsvAsync("solidarity", Encoding.UTF8.GetBytes("email,country,union\na@example.org,KR,KCTU\nb@example.org,KR,FKTU\nc@example.org,TR,DİSK\n"),
            "?confirmed=true");

        var created = await app.Api.PostOkAsync("/api/segments",
            new { name = "Korean trade unionists", slug = "korea-unions", audience = new { country = new[] { "KR" }, union = new[] { "KCTU", "FKTU" } } },
            HttpStatusCode.Created);
        Assert.Equal("korea-unions", created["slug"]!.GetValue<string>());
        var listed = await app.Api.GetFromJsonAsync<JsonArray>("/api/segments");
        Assert.Equal("Korean trade unionists", listed!.Single()!["name"]!.GetValue<string>());

        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Rally", bodyMarkdown = "Tonight.", lists = new[] { "solidarity" }, segment = "korea-unions" },
            HttpStatusCode.Created);
        Assert.Equal(2, alert["recipients"]!.GetValue<int>());
        Assert.Equal("KR", alert["audience"]!["country"]![0]!.GetValue<string>());

        using (var deleted = await app.Api.DeleteAsync("/api/segments/korea-unions"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        var audience = await app.Api.GetJsonAsync($"/api/alerts/{alert["id"]}/audience");
        Assert.Equal(2, audience["count"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Api.GetAnswerAsync("/api/segments/korea-unions")).StatusCode);
    }

    [Theory]
    [InlineData("""{"name": "Everyone", "slug": "everyone"}""", "audience")]
    [InlineData("""{"name": "Bad", "slug": "Not A Slug", "audience": {"country": ["KR"]}}""", "slug")]
    [InlineData("""{"name": "Bad", "slug": "bad", "audience": {"country": [""]}}""", "audience.country[0]")]
    public async Task A_bad_segment_is_refused_naming_the_field(string body, string field)
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);

        using var response = await app.Api.PostAsync("/api/segments", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem["errors"]![field] is not null, problem.ToJsonString());
    }

    [Fact]
    public async Task A_taken_slug_an_unknown_segment_or_both_a_segment_and_an_audience_are_refused()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("solidarity");
        var segment = new { name = "Seoul", slug = "seoul", audience = new { city = new[] { "Seoul" } } };
        await app.Api.PostOkAsync("/api/segments", segment, HttpStatusCode.Created);

        using var again = await app.Api.PostAsJsonAsync("/api/segments", segment);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        foreach (var (alert, why) in new object[]
                 {
                     new { subject = "Vigil", bodyMarkdown = "Tonight.", lists = new[] { "solidarity" }, segment = "busan" },
                     new { subject = "Vigil", bodyMarkdown = "Tonight.", lists = new[] { "solidarity" }, segment = "seoul", audience = new { city = new[] { "Busan" } } },
                 }.Zip(["no such segment", "both"]))
        {
            using var response = await app.Api.PostAsJsonAsync("/api/alerts", alert);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest && problem["errors"]!["segment"] is not null, $"{why}: {problem.ToJsonString()}");
        }
    }

    [Fact]
    public async Task A_publisher_key_may_not_touch_segments()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        var key = await app.Api.PostOkAsync("/api/keys", new { name = "feed robot", role = "publisher" }, HttpStatusCode.Created);
        using var publisher = app.ClientWithKey(key["key"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.GetAsync("/api/segments")).StatusCode);
        using var create = await publisher.PostAsJsonAsync("/api/segments", new { name = "Seoul", slug = "seoul", audience = new { city = new[] { "Seoul" } } });
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
    }
}

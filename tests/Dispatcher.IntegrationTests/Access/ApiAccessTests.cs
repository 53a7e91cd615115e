using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Access;

/// <summary>Who may do what, and what bad input gets back: 401 without a key, 403 for the wrong role or list,
/// 400 naming every bad field, 404 for what does not exist. Never a 500.</summary>
public sealed class ApiAccessTests : IAsyncLifetime
{
    private TestSmtpServer _smtp = null!;
    private DispatcherApp _app = null!;

    public async Task InitializeAsync()
    {
        _smtp = await TestSmtpServer.StartAsync();
        _app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, _smtp);
        await _app.Api.CreateListAsync("statements");
        await _app.Api.CreateListAsync("korea");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private async Task<string> KeyAsync(string role, params string[] lists)
    {
        var created = await _app.Api.PostOkAsync("/api/keys", new { name = $"{role} key", role, lists }, HttpStatusCode.Created);
        return created["key"]!.GetValue<string>();
    }

    private static async Task<JsonNode> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal((int)expected, problem["status"]!.GetValue<int>());
        Assert.DoesNotContain("   at ", body); // never a stack trace
        return problem;
    }

    [Fact]
    public async Task Without_a_key_or_with_an_unknown_one_the_answer_is_401()
    {
        using var none = _app.ClientWithKey(null);
        await ProblemAsync(await none.GetAsync("/api/lists"), HttpStatusCode.Unauthorized);
        using var wrong = _app.ClientWithKey("dsp_not-a-real-key");
        await ProblemAsync(await wrong.PostAsJsonAsync("/api/statements", new { title = "x", lists = new[] { "statements" } }), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_revoked_key_stops_working_at_once()
    {
        var created = await _app.Api.PostOkAsync("/api/keys", new { name = "website", role = "publisher" }, HttpStatusCode.Created);
        using var website = _app.ClientWithKey(created["key"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await website.GetAsync("/api/statements")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _app.Api.DeleteAsync($"/api/keys/{created["id"]}")).StatusCode);

        await ProblemAsync(await website.GetAsync("/api/statements"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Keys_are_shown_once_and_stored_hashed()
    {
        var key = await KeyAsync("publisher");
        var keys = await _app.Api.GetJsonAsync("/api/keys");

        Assert.DoesNotContain(key, keys.ToJsonString());
        Assert.Contains(keys["items"]!.AsArray(), k => k!["prefix"]!.GetValue<string>() == key[..8]);
    }

    [Fact]
    public async Task Roles_limit_what_a_key_may_do()
    {
        using var publisher = _app.ClientWithKey(await KeyAsync("publisher"));
        using var organiser = _app.ClientWithKey(await KeyAsync("organiser", "korea"));

        await ProblemAsync(await publisher.PostAsJsonAsync("/api/lists", new { name = "New", slug = "new" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await publisher.PostAsJsonAsync("/api/lists/statements/subscribers", new { email = "a@example.org" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await organiser.PostAsJsonAsync("/api/keys", new { name = "x", role = "admin" }), HttpStatusCode.Forbidden);
        await ProblemAsync(await organiser.GetAsync("/api/mailbox"), HttpStatusCode.Forbidden);

        // An organiser publishes to its granted lists only; a publisher to any list.
        var refused = await ProblemAsync(await organiser.PostAsJsonAsync("/api/statements", new { title = "x", lists = new[] { "korea", "statements" } }), HttpStatusCode.Forbidden);
        Assert.Contains("statements", refused["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Accepted, (await organiser.PostAsJsonAsync("/api/statements", new { title = "Free Han Sang-gyun", lists = new[] { "korea" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await publisher.PostAsJsonAsync("/api/statements", new { title = "Solidarity", lists = new[] { "statements" } })).StatusCode);

        // Organisers see only their lists.
        var lists = await organiser.GetJsonAsync("/api/lists");
        Assert.Equal(["korea"], lists["items"]!.AsArray().Select(l => l!["slug"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await organiser.GetAsync("/api/lists/statements")).StatusCode);
    }

    [Fact]
    public async Task Bad_input_gets_400_naming_every_bad_field()
    {
        var problem = await ProblemAsync(await _app.Api.PostAsJsonAsync("/api/statements",
            new { title = "", url = "javascript:alert(1)", lists = new[] { "statements", "nope" } }), HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("title", errors.Select(e => e.Key));
        Assert.Contains("url", errors.Select(e => e.Key));
        Assert.Contains("lists[1]", errors.Select(e => e.Key));

        var wrongType = await ProblemAsync(await _app.Api.PostAsync("/api/statements",
            new StringContent("""{"title":"x","lists":"statements"}""", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        Assert.Contains("lists", wrongType["errors"]!.AsObject().Select(e => e.Key));

        var notJson = await ProblemAsync(await _app.Api.PostAsync("/api/lists",
            new StringContent("{name:", System.Text.Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest);
        Assert.NotNull(notJson["errors"]);

        var badList = await ProblemAsync(await _app.Api.PostAsJsonAsync("/api/lists", new { name = "", slug = "Not A Slug!" }), HttpStatusCode.BadRequest);
        Assert.Equal(["name", "slug"], badList["errors"]!.AsObject().Select(e => e.Key).Order());

        var badSubscriber = await ProblemAsync(await _app.Api.PostAsJsonAsync("/api/lists/statements/subscribers",
            new { email = "ana@example.org\r\nBcc: x@example.org", cadence = "hourly" }), HttpStatusCode.BadRequest);
        Assert.Equal(["cadence", "email"], badSubscriber["errors"]!.AsObject().Select(e => e.Key).Order());

        await ProblemAsync(await _app.Api.GetAsync("/api/statements?limit=0&after=abc"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unknown_ids_and_slugs_are_404_and_a_taken_slug_is_409()
    {
        await ProblemAsync(await _app.Api.PostAsJsonAsync("/api/lists/nope/subscribers", new { email = "a@example.org" }), HttpStatusCode.NotFound);
        await ProblemAsync(await _app.Api.GetAsync("/api/dispatches/424242"), HttpStatusCode.NotFound);
        await ProblemAsync(await _app.Api.GetAsync("/api/statements/424242"), HttpStatusCode.NotFound);
        await ProblemAsync(await _app.Api.GetAsync("/api/lists/nope"), HttpStatusCode.NotFound);
        await ProblemAsync(await _app.Api.DeleteAsync("/api/keys/424242"), HttpStatusCode.NotFound);
        await ProblemAsync(await _app.Api.GetAsync("/api/no-such-thing"), HttpStatusCode.NotFound);
        await ProblemAsync(await _app.Api.PostAsJsonAsync("/api/lists", new { name = "Again", slug = "statements" }), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task A_tampered_unsubscribe_link_gets_a_400_page_that_names_nobody()
    {
        using var anonymous = _app.ClientWithKey(null);
        using var response = await anonymous.PostAsync("/unsubscribe/AQAAAAAAAAABAAAAAQAAAADVsLq5fWf7jAmtyXEjczIU",
            new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        var page = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("This link does not work", page);
        Assert.DoesNotContain("@", page);
    }

    [Fact]
    public async Task Lists_report_their_subscriber_counts()
    {
        await _app.Api.SubscribeAsync("korea", "a@example.org");
        await _app.Api.SubscribeAsync("korea", "b@example.org", confirmed: false);

        var korea = await _app.Api.GetJsonAsync("/api/lists/korea");

        Assert.Equal(1, korea["subscribers"]!["confirmed"]!.GetValue<int>());
        Assert.Equal(1, korea["subscribers"]!["unconfirmed"]!.GetValue<int>());
    }
}

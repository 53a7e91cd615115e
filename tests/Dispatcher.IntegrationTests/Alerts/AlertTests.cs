using System.Net;
using System.Net.Http.Json;
using Dispatcher.IntegrationTests.Infrastructure;
using MimeKit;

namespace Dispatcher.IntegrationTests.Alerts;

/// <summary>Urgent alerts: drafts, preview, test send, who receives them, and sending exactly once.</summary>
public sealed class AlertTests : IAsyncLifetime
{
    private TestSmtpServer _smtp = null!;
    private DispatcherApp _app = null!;

    public async Task InitializeAsync()
    {
        _smtp = await TestSmtpServer.StartAsync();
        _app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, _smtp);
        await _app.Api.CreateListAsync("turkey", "Turkey solidarity");
        await _app.Api.CreateListAsync("korea", "Korea solidarity");
        await _app.Api.PostOkAsync("/api/lists", new { name = "Embassy actions", slug = "embassy", requireApproval = true }, HttpStatusCode.Created);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private async Task<HttpClient> OrganiserAsync(params string[] lists)
    {
        var created = await _app.Api.PostOkAsync("/api/keys", new { name = $"organiser {Guid.NewGuid():N}", role = "organiser", lists }, HttpStatusCode.Created);
        return _app.ClientWithKey(created["key"]!.GetValue<string>());
    }

    private static object Draft(params string[] lists) => new
    {
        subject = "Protest tonight at the Turkish embassy, 18:00",
        bodyMarkdown = "Over a hundred are dead after the bomb attack in **Ankara**.\n\n- Bring banners\n- Bring friends\n\n<script>alert(1)</script>[bad](javascript:alert(1))",
        actionUrl = "https://example.org/protest?city=london&time=18",
        actionLabel = "Join the protest",
        lists,
    };

    [Fact]
    public async Task An_alert_reaches_every_confirmed_subscriber_with_alerts_on_whatever_their_cadence_once()
    {
        await _app.Api.SubscribeAsync("turkey", "immediate@example.org");
        await _app.Api.SubscribeAsync("turkey", "daily@example.org", cadence: "daily");
        await _app.Api.SubscribeAsync("korea", "weekly@example.org", cadence: "weekly");
        await _app.Api.SubscribeAsync("korea", "immediate@example.org"); // on both lists: one email
        await _app.Api.SubscribeAsync("turkey", "no.alerts@example.org", alerts: false);
        await _app.Api.SubscribeAsync("turkey", "unconfirmed@example.org", confirmed: false);

        var draft = await _app.Api.PostOkAsync("/api/alerts", Draft("turkey", "korea"), HttpStatusCode.Created);
        Assert.Equal("draft", draft["status"]!.GetValue<string>());
        Assert.Equal(3, draft["recipients"]!.GetValue<int>());
        var id = draft["id"]!.GetValue<long>();

        var sent = await _app.Api.PostOkAsync($"/api/alerts/{id}/send", new { }, HttpStatusCode.Accepted);
        var dispatch = await _app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>());

        Assert.Equal("alert", dispatch["kind"]!.GetValue<string>());
        Assert.Equal(3, dispatch.Int("sent"));
        var alerts = _smtp.Received.Where(m => m.Subject.StartsWith("Protest tonight")).ToList();
        Assert.Equal(["daily@example.org", "immediate@example.org", "weekly@example.org"], alerts.Select(m => m.To).Order());
        var message = alerts.First().Message;
        Assert.Contains("Urgent solidarity alert", message.HtmlBody);
        Assert.Contains("Join the protest (https://example.org/protest?city=london&time=18)", message.TextBody);
        Assert.Contains("Or open this link: https://example.org/protest?city=london&time=18", message.TextBody);
        Assert.DoesNotContain("<script", message.HtmlBody);
        Assert.DoesNotContain("href=\"javascript:", message.HtmlBody);
        Assert.NotNull(message.Headers[HeaderId.ListUnsubscribe]);

        // An alert goes out once: sending again is a conflict, and nothing more is sent.
        using var again = await _app.Api.PostAsJsonAsync($"/api/alerts/{id}/send", new { });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(3, _smtp.Received.Count(m => m.Subject.StartsWith("Protest tonight")));
    }

    [Fact]
    public async Task A_double_click_sends_once()
    {
        await _app.Api.SubscribeAsync("korea", "double@example.org");
        var id = (await _app.Api.PostOkAsync("/api/alerts", Draft("korea"), HttpStatusCode.Created))["id"]!.GetValue<long>();

        var clicks = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _app.Api.PostAsJsonAsync($"/api/alerts/{id}/send", new { })));

        Assert.Single(clicks, c => c.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(3, clicks.Count(c => c.StatusCode == HttpStatusCode.Conflict));
        var alert = await _app.Api.GetJsonAsync($"/api/alerts/{id}");
        await _app.Api.WaitForDispatchAsync(alert["dispatchId"]!.GetValue<long>());
        var dispatches = await _app.Api.GetJsonAsync("/api/dispatches?kind=alert");
        Assert.Single(dispatches["items"]!.AsArray(), d => d!["alertId"]?.GetValue<long>() == id);
    }

    [Fact]
    public async Task The_preview_shows_what_subscribers_get_and_a_test_copy_goes_to_one_address()
    {
        var id = (await _app.Api.PostOkAsync("/api/alerts", Draft("turkey"), HttpStatusCode.Created))["id"]!.GetValue<long>();

        var preview = await _app.Api.GetJsonAsync($"/api/alerts/{id}/preview");
        Assert.Equal("Protest tonight at the Turkish embassy, 18:00", preview["subject"]!.GetValue<string>());
        Assert.Contains("<strong", preview["html"]!.GetValue<string>());
        Assert.Contains("Dear Sample Subscriber,", preview["text"]!.GetValue<string>());
        Assert.Contains("- Bring banners", preview["text"]!.GetValue<string>());
        Assert.DoesNotContain("<script", preview["html"]!.GetValue<string>());

        await _app.Api.PostOkAsync($"/api/alerts/{id}/test", new { email = "organiser@example.org" }, HttpStatusCode.Accepted);
        var copy = await Eventually.UntilAsync(() => Task.FromResult(_smtp.To("organiser@example.org").FirstOrDefault()), m => m is not null,
            TimeSpan.FromSeconds(30), "the test copy");
        Assert.Equal("[Test] Protest tonight at the Turkish embassy, 18:00", copy!.Subject);
        Assert.Null(copy.Message.Headers[HeaderId.ListUnsubscribe]);
        Assert.Equal("draft", (await _app.Api.GetJsonAsync($"/api/alerts/{id}"))["status"]!.GetValue<string>());
        var bad = await _app.Api.PostAsJsonAsync($"/api/alerts/{id}/test", new { email = "nope" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Two_people_are_needed_where_a_list_requires_approval()
    {
        await _app.Api.SubscribeAsync("embassy", "embassy.reader@example.org");
        using var asker = await OrganiserAsync("embassy");
        using var approver = await OrganiserAsync("embassy", "turkey");
        using var outsider = await OrganiserAsync("korea");
        var id = (await asker.PostOkAsync("/api/alerts", Draft("embassy"), HttpStatusCode.Created))["id"]!.GetValue<long>();

        var asked = await asker.PostOkAsync($"/api/alerts/{id}/send", new { }, HttpStatusCode.Accepted);
        Assert.Equal("pendingApproval", asked["status"]!.GetValue<string>());
        Assert.Null(asked["dispatchId"]);
        Assert.Equal(HttpStatusCode.Conflict, (await asker.PostAsJsonAsync($"/api/alerts/{id}/send", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asker.PostAsJsonAsync($"/api/alerts/{id}/approve", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await outsider.PostAsJsonAsync($"/api/alerts/{id}/approve", new { })).StatusCode);
        Assert.Empty(_smtp.To("embassy.reader@example.org"));

        var approved = await approver.PostOkAsync($"/api/alerts/{id}/approve", new { }, HttpStatusCode.Accepted);
        await _app.Api.WaitForDispatchAsync(approved["dispatchId"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.Conflict, (await _app.Api.PostAsJsonAsync($"/api/alerts/{id}/approve", new { })).StatusCode);

        Assert.Single(_smtp.To("embassy.reader@example.org"));
        var audit = (await _app.Api.GetJsonAsync("/api/audit?action=alert")).ToJsonString();
        Assert.Contains("alert.send-requested", audit);
        Assert.Contains("alert.approved", audit);
    }

    [Fact]
    public async Task Organisers_act_only_on_their_granted_lists()
    {
        using var korea = await OrganiserAsync("korea");
        using var publisher = _app.ClientWithKey((await _app.Api.PostOkAsync("/api/keys", new { name = "site", role = "publisher" }, HttpStatusCode.Created))["key"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Forbidden, (await korea.PostAsJsonAsync("/api/alerts", Draft("turkey"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsJsonAsync("/api/alerts", Draft("korea"))).StatusCode);
        var theirs = (await _app.Api.PostOkAsync("/api/alerts", Draft("turkey"), HttpStatusCode.Created))["id"]!.GetValue<long>();
        Assert.Equal(HttpStatusCode.Forbidden, (await korea.PostAsJsonAsync($"/api/alerts/{theirs}/send", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await korea.GetAsync($"/api/alerts/{theirs}/preview")).StatusCode);
        var mine = await korea.PostOkAsync("/api/alerts", Draft("korea"), HttpStatusCode.Created);
        var list = await korea.GetJsonAsync("/api/alerts");
        Assert.Equal([mine["id"]!.GetValue<long>()], list["items"]!.AsArray().Select(a => a!["id"]!.GetValue<long>()));
    }

    [Fact]
    public async Task Bad_drafts_get_400_naming_the_fields_and_only_drafts_change()
    {
        using var response = await _app.Api.PostAsJsonAsync("/api/alerts", new { subject = "", bodyMarkdown = "", actionUrl = "javascript:alert(1)", actionLabel = "Go", lists = new[] { "nope" } });
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["actionUrl", "bodyMarkdown", "lists[0]", "subject"], problem!["errors"]!.AsObject().Select(e => e.Key).Order());

        var id = (await _app.Api.PostOkAsync("/api/alerts", Draft("korea"), HttpStatusCode.Created))["id"]!.GetValue<long>();
        var edited = await _app.Api.PatchAsJsonAsync($"/api/alerts/{id}", new { subject = "Letter to the embassy", bodyMarkdown = "Sign *now*.", lists = new[] { "korea" } });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        await _app.Api.PostOkAsync($"/api/alerts/{id}/send", new { }, HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.Conflict, (await _app.Api.PatchAsJsonAsync($"/api/alerts/{id}", Draft("korea"))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _app.Api.DeleteAsync($"/api/alerts/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Api.GetAsync("/api/alerts/999999")).StatusCode);
    }
}

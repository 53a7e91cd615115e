using System.Net;
using System.Net.Http.Json;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Subscribers;

/// <summary>Admin operations on people: find, page through, erase, suppress, and bounces reported by API.</summary>
public sealed class SubscriberAdminTests
{
    [Fact]
    public async Task Erasing_someone_keeps_only_a_suppression_that_their_own_confirmed_sign_up_lifts()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp);
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "gone@example.org", name: "Gone Person");
        await app.Api.SubscribeAsync("statements", "stays@example.org");
        var (_, first) = await app.Api.PublishAsync(new { title = "Before", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(first!.Value);

        Assert.Equal(HttpStatusCode.NoContent, (await app.Api.DeleteAsync("/api/subscribers/gone@example.org")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await app.Api.GetAsync("/api/subscribers/gone@example.org")).StatusCode);
        var readd = await app.Api.PostAsJsonAsync("/api/lists/statements/subscribers", new { email = "gone@example.org", confirmed = true });
        Assert.Equal(HttpStatusCode.Conflict, readd.StatusCode);
        var audit = (await app.Api.GetJsonAsync("/api/audit?limit=500")).ToJsonString();
        Assert.DoesNotContain("gone@example.org", audit);
        Assert.Contains("subscriber.erased", audit);
        var firstDispatch = await app.Api.GetJsonAsync($"/api/dispatches/{first}");
        Assert.Equal(2, firstDispatch.Int("sent")); // the history keeps its counts

        var (_, second) = await app.Api.PublishAsync(new { title = "After", lists = new[] { "statements" } });
        var after = await app.Api.WaitForDispatchAsync(second!.Value);
        Assert.Equal(1, after.Int("total"));
        Assert.DoesNotContain(smtp.To("gone@example.org"), m => m.Subject == "After");

        // Their own sign-up, confirmed by them, lifts the suppression.
        using var browser = app.ClientWithKey(null);
        (await browser.SubmitFormAsync("/subscribe/statements", new Dictionary<string, string> { ["Email"] = "gone@example.org" })).Dispose();
        var confirmation = await Eventually.UntilAsync(() => Task.FromResult(smtp.To("gone@example.org").LastOrDefault()),
            m => m?.Subject.StartsWith("Confirm") == true, TimeSpan.FromSeconds(30), "the confirmation");
        Assert.Equal(HttpStatusCode.OK, (await browser.ConfirmAsync(Pages.LinkIn(confirmation!.Message, "/confirm/"))).Status);
        Assert.Equal(HttpStatusCode.OK, (await app.Api.PostAsJsonAsync("/api/lists/statements/subscribers", new { email = "gone@example.org" })).StatusCode);
    }

    [Fact]
    public async Task Bounces_reported_by_api_stop_mail_hard_and_complaint_at_once_soft_after_the_limit()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?> { ["Bounces:SoftBounceLimit"] = "2" });
        await app.Api.CreateListAsync("statements");
        foreach (var who in new[] { "hard", "soft", "complaint", "fine" }) await app.Api.SubscribeAsync("statements", $"{who}@example.org");

        async Task<string?> Report(string email, string kind) =>
            (await app.Api.PostOkAsync("/api/bounces", new { email, kind, reason = "test" }, HttpStatusCode.Accepted))["status"]?.GetValue<string>();

        Assert.Equal("bounced", await Report("hard@example.org", "hard"));
        Assert.Equal("complained", await Report("complaint@example.org", "complaint"));
        Assert.Null(await Report("soft@example.org", "soft"));
        Assert.Equal("bounced", await Report("soft@example.org", "soft"));
        var unknown = await app.Api.PostOkAsync("/api/bounces", new { email = "stranger@example.org", kind = "hard" }, HttpStatusCode.Accepted);
        Assert.False(unknown["matched"]!.GetValue<bool>());
        var bad = await app.Api.PostAsJsonAsync("/api/bounces", new { email = "x", kind = "bouncy" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Only to the fine one", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        Assert.Equal(["fine@example.org"], smtp.Received.Select(m => m.To));
        Assert.Equal(HttpStatusCode.Conflict, (await app.Api.PostAsJsonAsync("/api/lists/statements/subscribers", new { email = "hard@example.org", confirmed = true })).StatusCode);
    }

    [Fact]
    public async Task Subscribers_of_a_list_page_by_keyset_filter_by_status_and_search()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("statements");
        for (var i = 1; i <= 5; i++) await app.Api.SubscribeAsync("statements", $"p{i}@example.org", name: i == 3 ? "Rojda Kaya" : null);
        await app.Api.SubscribeAsync("statements", "waiting@example.org", confirmed: false);

        var first = await app.Api.GetJsonAsync("/api/lists/statements/subscribers?limit=4");
        var second = await app.Api.GetJsonAsync($"/api/lists/statements/subscribers?limit=4&after={first["next"]}");
        var emails = first["items"]!.AsArray().Concat(second["items"]!.AsArray()).Select(i => i!["email"]!.GetValue<string>()).ToList();
        Assert.Equal(["waiting@example.org", "p5@example.org", "p4@example.org", "p3@example.org", "p2@example.org", "p1@example.org"], emails);
        Assert.Null(second["next"]);

        var unconfirmed = await app.Api.GetJsonAsync("/api/lists/statements/subscribers?status=unconfirmed");
        Assert.Equal("waiting@example.org", unconfirmed["items"]![0]!["email"]!.GetValue<string>());
        var found = await app.Api.GetJsonAsync("/api/lists/statements/subscribers?q=rojda");
        Assert.Equal("p3@example.org", found["items"]!.AsArray().Single()!["email"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await app.Api.GetAsync("/api/lists/statements/subscribers?status=gone")).StatusCode);
    }
}

using System.Net;
using System.Net.Http.Json;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Feeds;

/// <summary>The website's RSS or Atom feed as a source of statements, served by a real web server in the test.</summary>
public sealed class FeedTests : IAsyncLifetime
{
    private TestSmtpServer _smtp = null!;
    private DispatcherApp _app = null!;
    private FeedSite _site = null!;

    public async Task InitializeAsync()
    {
        _smtp = await TestSmtpServer.StartAsync();
        _site = await FeedSite.StartAsync();
        _app = await StartAppAsync(TimeSpan.FromHours(1)); // these tests poll by hand; the scheduler stays out of the way
    }

    private async Task<DispatcherApp> StartAppAsync(TimeSpan checkInterval)
    {
        var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, _smtp, new Dictionary<string, string?>
        {
            ["Feeds:TimeoutSeconds"] = "2",
            ["Feeds:CheckInterval"] = checkInterval.ToString(),
            ["Feeds:AllowPrivateNetworks"] = "true", // the test site is on loopback
        });
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "reader@example.org");
        await app.Api.SubscribeAsync("statements", "digest@example.org", cadence: "daily");
        return app;
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _site.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private async Task<int> AddFeedAsync(string file, object? extra = null)
    {
        var created = await _app.Api.PostOkAsync("/api/feeds", extra ?? new { url = _site.Url(file), lists = new[] { "statements" }, pollMinutes = 600 }, HttpStatusCode.Created);
        return created["id"]!.GetValue<int>();
    }

    private async Task<int> PollAsync(int id) => (await _app.Api.PostOkAsync($"/api/feeds/{id}/poll", new { }, HttpStatusCode.OK))["added"]!.GetValue<int>();

    private Task WaitForMailAsync(Func<ReceivedMail, bool> which, int count, string what) =>
        Eventually.UntilAsync(() => _smtp.Received.Count(which) >= count, TimeSpan.FromSeconds(30), what);

    [Fact]
    public async Task New_rss_items_become_statements_once_and_a_304_adds_nothing()
    {
        var now = DateTimeOffset.UtcNow;
        _site.Serve("rss.xml", FeedSite.Rss(
            ("korea-2015", "Stop the repression of South Korean trade unionists", now.AddHours(-2), "<p>On 14 November 2015 …</p><script>alert(1)</script>"),
            ("ankara-2015", "Ankara bomb attacks: Blood on Erdoğan’s hands", now.AddHours(-1), "<p>Over a hundred are dead …</p>")));
        var id = await AddFeedAsync("rss.xml");

        Assert.Equal(2, await PollAsync(id));
        await WaitForMailAsync(m => m.To == "reader@example.org", 2, "both items mailed at once");
        Assert.Equal(0, await PollAsync(id));
        Assert.Equal(1, _site.NotModifiedAnswers);

        _site.Serve("rss.xml", FeedSite.Rss(
            ("korea-2015", "Stop the repression of South Korean trade unionists", now.AddHours(-2), "<p>On 14 November 2015 …</p>"),
            ("ankara-2015", "Ankara bomb attacks: Blood on Erdoğan’s hands", now.AddHours(-1), "<p>Over a hundred are dead …</p>"),
            ("syria-2015", "Syria, Iraq and the movement of refugees", now, "<p>A research paper by Christine Buchholz …</p>")));
        Assert.Equal(1, await PollAsync(id));
        await WaitForMailAsync(m => m.To == "reader@example.org", 3, "the new item mailed");

        var statements = await _app.Api.GetJsonAsync("/api/statements");
        var items = statements["items"]!.AsArray();
        Assert.Equal(3, items.Count);
        Assert.Equal(["ankara-2015", "korea-2015", "syria-2015"], items.Select(s => s!["externalId"]!.GetValue<string>()).Order());
        Assert.Equal("https://example.org/statements/syria-2015", items[0]!["url"]!.GetValue<string>());
        var korea = _smtp.To("reader@example.org").Single(m => m.Subject.StartsWith("Stop the repression"));
        Assert.DoesNotContain("<script", korea.Message.HtmlBody);
        Assert.Equal(3, _smtp.To("reader@example.org").Count);
        var feed = await _app.Api.GetJsonAsync($"/api/feeds/{id}");
        Assert.Null(feed["lastError"]);
    }

    [Fact]
    public async Task Atom_entries_work_the_same_and_digest_only_feeds_wait_for_the_digest()
    {
        var now = DateTimeOffset.UtcNow;
        _site.Serve("atom.xml", FeedSite.Atom(("https://example.org/trump", "We don't want Trump—but neither do the bosses", now, "<p>First Brexit and now Trump.</p>")), "application/atom+xml");
        var id = await AddFeedAsync("atom.xml", new { url = _site.Url("atom.xml"), lists = new[] { "statements" }, sendImmediately = false });

        Assert.Equal(1, await PollAsync(id));
        var statement = (await _app.Api.GetJsonAsync("/api/statements"))["items"]![0]!;
        Assert.Equal("https://example.org/trump", statement["externalId"]!.GetValue<string>());
        Assert.Equal("Alex Callinicos", statement["author"]!.GetValue<string>());

        var run = await _app.Api.PostOkAsync("/api/digests/daily/run", new { }, HttpStatusCode.Accepted);
        await _app.Api.WaitForDispatchAsync(run["dispatchId"]!.GetValue<long>());
        Assert.Empty(_smtp.To("reader@example.org")); // digest only: no immediate send
        Assert.Contains("We don't want Trump", _smtp.To("digest@example.org").Single().Subject);
    }

    [Fact]
    public async Task A_feed_s_old_items_are_kept_but_not_mailed_when_it_is_added()
    {
        _site.Serve("archive.xml", FeedSite.Rss(
            ("trump-2016", "We don't want Trump—but neither do the bosses", new DateTimeOffset(2016, 11, 12, 9, 0, 0, TimeSpan.Zero), "<p>…</p>"),
            ("korea-2015", "Stop the repression of South Korean trade unionists", new DateTimeOffset(2015, 11, 24, 9, 0, 0, TimeSpan.Zero), "<p>…</p>")));
        var id = await AddFeedAsync("archive.xml");

        Assert.Equal(2, await PollAsync(id));
        var run = await _app.Api.PostOkAsync("/api/digests/daily/run", new { }, HttpStatusCode.Accepted);
        var digest = await _app.Api.WaitForDispatchAsync(run["dispatchId"]!.GetValue<long>());

        Assert.Equal(0, digest.Int("total"));
        Assert.Empty(_smtp.Received);
        Assert.Equal(2, (await _app.Api.GetJsonAsync("/api/statements"))["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task Broken_and_hanging_feeds_are_recorded_and_retried_without_holding_up_anything_else()
    {
        _site.Serve("broken.xml", "<rss><channel><item><title>Unclosed", "application/rss+xml");
        var broken = await AddFeedAsync("broken.xml");
        var hanging = await AddFeedAsync("hang");

        using var brokenPoll = await _app.Api.PostAsJsonAsync($"/api/feeds/{broken}/poll", new { });
        Assert.Equal(HttpStatusCode.BadGateway, brokenPoll.StatusCode);
        Assert.Contains("not valid RSS or Atom", await brokenPoll.Content.ReadAsStringAsync());
        using var hangingPoll = await _app.Api.PostAsJsonAsync($"/api/feeds/{hanging}/poll", new { });
        Assert.Equal(HttpStatusCode.BadGateway, hangingPoll.StatusCode);
        Assert.Contains("did not answer within 2 s", await hangingPoll.Content.ReadAsStringAsync());

        var feed = await _app.Api.GetJsonAsync($"/api/feeds/{broken}");
        Assert.Equal(1, feed.Int("consecutiveFailures"));
        Assert.Contains("not valid RSS or Atom", feed["lastError"]!.GetValue<string>());
        Assert.True(feed["nextPollAt"]!.GetValue<DateTime>() > DateTime.UtcNow.AddHours(5)); // backed off (up to Feeds:MaxBackoff)

        // With the scheduler polling every quarter second, a hanging feed due at the same time as a good one does not
        // hold the good one up, and statements go out as usual.
        await using var scheduled = await StartAppAsync(TimeSpan.FromMilliseconds(250));
        _site.Serve("good.xml", FeedSite.Rss(("solidarity", "Solidarity with the Seoul protesters", DateTimeOffset.UtcNow, "<p>…</p>")));
        await scheduled.Api.PostOkAsync("/api/feeds", new { url = _site.Url("hang"), lists = new[] { "statements" } }, HttpStatusCode.Created);
        await scheduled.Api.PostOkAsync("/api/feeds", new { url = _site.Url("good.xml"), lists = new[] { "statements" } }, HttpStatusCode.Created);
        var (_, direct) = await scheduled.Api.PublishAsync(new { title = "Posted through the API", lists = new[] { "statements" } });
        await scheduled.Api.WaitForDispatchAsync(direct!.Value);
        await WaitForMailAsync(m => m.Subject == "Solidarity with the Seoul protesters", 1, "the good feed's item");
        await Eventually.UntilAsync(() => scheduled.Api.GetJsonAsync("/api/feeds"),
            f => f["items"]!.AsArray().Any(x => x!["lastError"]?.GetValue<string>()?.Contains("did not answer") == true),
            TimeSpan.FromSeconds(30), "the hanging feed's timeout to be recorded");
    }

    [Fact]
    public async Task Bad_feed_requests_get_400_naming_the_fields()
    {
        using var response = await _app.Api.PostAsJsonAsync("/api/feeds", new { url = "ftp://example.org/feed", lists = new[] { "nope" }, pollMinutes = 0 });
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"url\"", body);
        Assert.Contains("\"pollMinutes\"", body);
        Assert.Contains("\"lists[0]\"", body);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Api.PostAsync("/api/feeds/999/poll", null)).StatusCode);
    }
}

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

    /// <summary>An Atom feed of one entry; <paramref name="alternates"/> are its links to the same entry in other languages.</summary>
    private static string AtomEntry(string id, string link, string title, params (string Language, string Href)[] alternates) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom">
          <title>Socialism From Below</title><id>urn:example:{Guid.NewGuid():N}</id><updated>{DateTimeOffset.UtcNow:O}</updated>
          <entry>
            <title>{System.Security.SecurityElement.Escape(title)}</title>
            <link rel="alternate" href="{link}"/>
            {string.Concat(alternates.Select(a => $"""<link rel="alternate" hreflang="{a.Language}" href="{a.Href}"/>"""))}
            <id>{id}</id>
            <updated>{DateTimeOffset.UtcNow:O}</updated>
            <summary>{System.Security.SecurityElement.Escape(title)}</summary>
          </entry>
        </feed>
        """;

    [Fact]
    public async Task A_feed_per_language_makes_one_statement_with_translations_matched_by_link_or_guid_and_late_ones_are_added()
    {
        _site.Serve("en.xml", AtomEntry("urn:korea", "https://example.org/en/korea", "Stop the repression of South Korean trade unionists",
            ("tr", "https://example.org/tr/kore")), "application/atom+xml");
        _site.Serve("tr.xml", AtomEntry("urn:tr-kore", "https://example.org/tr/kore", "Güney Koreli sendikacılara yönelik baskıya son verin"), "application/atom+xml");
        _site.Serve("ko.xml", AtomEntry("urn:korea", "https://example.org/ko/korea", "한국 노동조합원에 대한 탄압을 멈춰라"), "application/atom+xml"); // the same guid
        await _app.Api.PostOkAsync("/api/lists/statements/subscribers", new { email = "elif@example.org", language = "tr", confirmed = true }, HttpStatusCode.Created);
        var english = await AddFeedAsync("en.xml", new { url = _site.Url("en.xml"), lists = new[] { "statements" }, language = "en" });
        var turkish = await AddFeedAsync("tr.xml", new { url = _site.Url("tr.xml"), translates = english, language = "tr" });
        await AddFeedAsync("ko.xml", new { url = _site.Url("ko.xml"), translates = english, language = "ko" });

        Assert.Equal(1, await PollAsync(turkish)); // polling a translation polls the feed it translates
        var statement = (await _app.Api.GetJsonAsync("/api/statements"))["items"]!.AsArray().Single()!;
        Assert.Equal("en", statement["language"]!.GetValue<string>());
        Assert.Equal(["ko", "tr"], statement["translations"]!.AsArray().Select(t => t!["language"]!.GetValue<string>()));
        await WaitForMailAsync(m => m.To == "elif@example.org", 1, "Elif's statement");
        Assert.Equal("Güney Koreli sendikacılara yönelik baskıya son verin", _smtp.To("elif@example.org").Single().Subject);
        Assert.Equal("Stop the repression of South Korean trade unionists", (await Eventually.UntilAsync(
            () => Task.FromResult(_smtp.To("reader@example.org").FirstOrDefault()), m => m is not null, TimeSpan.FromSeconds(30), "the English one"))!.Subject);

        // The German translation comes a day later, naming the English page as its original.
        _site.Serve("de.xml", AtomEntry("urn:de-korea", "https://example.org/de/korea", "Stoppt die Repression gegen südkoreanische Gewerkschafter",
            ("en", "https://example.org/en/korea")), "application/atom+xml");
        await AddFeedAsync("de.xml", new { url = _site.Url("de.xml"), translates = english, language = "de" });
        Assert.Equal(0, await PollAsync(english));
        var again = await _app.Api.GetJsonAsync($"/api/statements/{statement["id"]}");
        Assert.Equal(["de", "ko", "tr"], again["translations"]!.AsArray().Select(t => t!["language"]!.GetValue<string>()));
        Assert.Single((await _app.Api.GetJsonAsync("/api/statements"))["items"]!.AsArray()); // translations never become statements
    }

    [Fact]
    public async Task A_translation_feed_needs_a_language_and_a_feed_of_its_own_to_translate()
    {
        var english = await AddFeedAsync("en.xml", new { url = _site.Url("en.xml"), lists = new[] { "statements" }, language = "en" });
        var problem = await _app.Api.PostOkAsync("/api/feeds", new { url = _site.Url("tr.xml"), translates = english }, HttpStatusCode.BadRequest);
        Assert.Contains("language", problem["errors"]!.AsObject().Select(e => e.Key));
        problem = await _app.Api.PostOkAsync("/api/feeds", new { url = _site.Url("tr.xml"), translates = 999, language = "tr" }, HttpStatusCode.BadRequest);
        Assert.Contains("translates", problem["errors"]!.AsObject().Select(e => e.Key));
        problem = await _app.Api.PostOkAsync("/api/feeds", new { url = _site.Url("tr.xml"), translates = english, language = "en" }, HttpStatusCode.BadRequest);
        Assert.Contains("language", problem["errors"]!.AsObject().Select(e => e.Key));
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

using System.Net;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>PostgreSQL goes away (connections refused, open ones cut) and comes back: health names the database
/// meanwhile, requests are told to come back (503 and Retry-After, never a 500), workers back off and carry on, and the
/// dispatch completes with everyone sent it once.</summary>
public sealed class DatabaseOutageTests
{
    [Fact]
    public async Task Workers_back_off_while_the_database_is_away_and_finish_the_dispatch_when_it_returns()
    {
        const int people = 3_000;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(2);
        // Leases as in production (2 minutes) and a dispatch that must finish well before one runs out: rows claimed
        // before the outage are carried through it, not left for the sweeper to find when their lease expires.
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp,
            new Dictionary<string, string?> { ["Dispatching:LeaseDuration"] = "00:02:00" });
        await app.Api.CreateListWithReadersAsync("statements", people);
        using var anonymous = app.ClientWithKey(null);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => smtp.Received.Count >= 500, TimeSpan.FromSeconds(60), "the dispatch to be under way");

        var connectionString = app.Settings["ConnectionStrings:Dispatcher"]!;
        int receivedDuringOutage;
        try
        {
            await TestServices.SetPostgresDatabaseOnlineAsync(connectionString, online: false);
            var outage = System.Diagnostics.Stopwatch.StartNew();
            var health = await Eventually.UntilAsync(() => anonymous.GetAnswerAsync("/health"),
                // The outage lasts at least 4 s — longer than a batch takes to send, so batches finish their messages
                // while the database is away and must hold on to what they sent until it returns: the writes they make
                // as they go (every 100 messages) fail, and are made again.
                r => r.StatusCode == HttpStatusCode.ServiceUnavailable && outage.Elapsed > TimeSpan.FromSeconds(4),
                TimeSpan.FromSeconds(30), "health to notice the database is away");
            Assert.Equal("{\"status\":\"unhealthy\"}", health.Body); // with the database away no key can be checked: the status alone
            // Sending stops: nothing more can be claimed (batches already claimed may finish their messages).
            receivedDuringOutage = smtp.Received.Count;
        }
        finally
        {
            await TestServices.SetPostgresDatabaseOnlineAsync(connectionString, online: true);
        }

        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(60));
        Assert.True(receivedDuringOutage < people, "the dispatch finished before the outage");
        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(0, dispatch.Int("failed"));
        Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count()); // everybody
        Assert.Equal(people, smtp.Received.Count);                                // and nobody twice: what was sent was recorded after the outage
    }

    /// <summary>An outage longer than the retries of an ordinary write (about a minute) but shorter than a lease: the
    /// batches that sent messages before or during it hold on to those outcomes until the database is back, instead of
    /// giving up and leaving the rows to be sent again when their leases run out.</summary>
    [Fact]
    public async Task A_batch_keeps_what_it_sent_through_an_outage_longer_than_a_minute_and_nobody_gets_it_twice()
    {
        const int people = 2_000;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(2);
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp,
            new Dictionary<string, string?> { ["Dispatching:LeaseDuration"] = "00:02:00" });
        await app.Api.CreateListWithReadersAsync("statements", people);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => smtp.Received.Count >= 300, TimeSpan.FromSeconds(60), "the dispatch to be under way");

        var connectionString = app.Settings["ConnectionStrings:Dispatcher"]!;
        int receivedDuringOutage;
        try
        {
            await TestServices.SetPostgresDatabaseOnlineAsync(connectionString, online: false);
            var outage = System.Diagnostics.Stopwatch.StartNew();
            // Longer than DatabaseRetry.Pipeline's eight tries (0.25 s doubling to 15 s: about 46 s), well inside the lease.
            await Eventually.UntilAsync(() => outage.Elapsed > TimeSpan.FromSeconds(70), TimeSpan.FromSeconds(90), "the outage to outlast a minute of retries");
            receivedDuringOutage = smtp.Received.Count;
        }
        finally
        {
            await TestServices.SetPostgresDatabaseOnlineAsync(connectionString, online: true);
        }

        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(40)); // before any lease runs out
        Assert.True(receivedDuringOutage < people, "the dispatch finished before the outage");
        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count());
        Assert.Equal(people, smtp.Received.Count); // nobody twice
    }

    [Fact]
    public async Task Requests_while_the_database_is_away_are_told_to_come_back_and_work_when_it_returns()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatcher:Bootstrap:AdminEmail"] = "admin@example.org",
            ["Dispatcher:Bootstrap:AdminPassword"] = "a long admin password 1",
        });
        await app.Api.CreateListWithReadersAsync("statements", 1);
        using var browser = app.ClientWithKey(null);
        (await browser.GetAsync("/admin/login")).EnsureSuccessStatusCode(); // the key ring that signs its form is loaded

        var connectionString = app.Settings["ConnectionStrings:Dispatcher"]!;
        try
        {
            await TestServices.SetPostgresDatabaseOnlineAsync(connectionString, online: false);

            using var api = await app.Api.GetAsync("/api/lists");
            var problem = System.Text.Json.Nodes.JsonNode.Parse(await api.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode); // not 401: the key is not wrong, just not checkable
            Assert.Equal("The database is not available just now.", (string?)problem["title"]);
            Assert.Equal(TimeSpan.FromSeconds(30), api.Headers.RetryAfter?.Delta);

            using var login = await browser.SubmitFormAsync("/admin/login",
                new Dictionary<string, string> { ["Email"] = "admin@example.org", ["Password"] = "a long admin password 1" });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, login.StatusCode);
            Assert.Equal("text/html", login.Content.Headers.ContentType?.MediaType); // a page for a person, not JSON
            Assert.Contains("The database is not available just now.", await login.Content.ReadAsStringAsync());

            using var subscribe = await browser.GetAsync("/subscribe/statements");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, subscribe.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(30), subscribe.Headers.RetryAfter?.Delta);
            Assert.DoesNotContain("Exception", await subscribe.Content.ReadAsStringAsync());
        }
        finally
        {
            await TestServices.SetPostgresDatabaseOnlineAsync(connectionString, online: true);
        }

        var lists = await Eventually.UntilAsync(() => app.Api.GetAsync("/api/lists"), r => r.StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "the API to answer once the database is back");
        lists.Dispose();
        using var again = await browser.SubmitFormAsync("/admin/login",
            new Dictionary<string, string> { ["Email"] = "admin@example.org", ["Password"] = "a long admin password 1" });
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
    }
}

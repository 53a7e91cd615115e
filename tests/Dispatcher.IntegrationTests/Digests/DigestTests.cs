using System.Net;
using Dispatcher.Digests;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Digests;

/// <summary>Daily and weekly digests: each person gets what is new to them on their lists, once.</summary>
public sealed class DigestTests
{
    private static async Task<long> RunAsync(HttpClient api, string cadence)
    {
        var run = await api.PostOkAsync($"/api/digests/{cadence}/run", new { }, HttpStatusCode.Accepted);
        var id = run["dispatchId"]!.GetValue<long>();
        await api.WaitForDispatchAsync(id);
        return id;
    }

    [Theory]
    [BothStacks]
    public async Task A_daily_digest_holds_each_new_statement_once_and_never_repeats_one(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        var api = app.Api;
        await api.CreateListAsync("korea", "Korea solidarity");
        await api.CreateListAsync("turkey", "Turkey solidarity");
        await api.SubscribeAsync("korea", "both@example.org", name: "Ana", cadence: "daily");
        await api.SubscribeAsync("turkey", "both@example.org", cadence: "daily");
        await api.SubscribeAsync("korea", "korea.daily@example.org", cadence: "daily");
        await api.SubscribeAsync("korea", "weekly@example.org", cadence: "weekly");
        await api.SubscribeAsync("korea", "immediate@example.org");

        var (_, first) = await api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", author = "IST",
            summary = "On 14 November 2015, about 100,000 people took to the streets of Seoul.", url = "https://example.org/korea",
            publishedAt = "2015-11-24T09:00:00Z", lists = new[] { "korea", "turkey" } });
        await api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan’s hands", publishedAt = "2015-10-12T09:00:00Z", lists = new[] { "turkey" } });
        await api.WaitForDispatchAsync(first!.Value);

        var daily = await RunAsync(api, "daily");

        var dispatch = await api.GetJsonAsync($"/api/dispatches/{daily}");
        Assert.Equal("digest", dispatch["kind"]!.GetValue<string>());
        Assert.Equal(2, dispatch.Int("sent"));
        var both = smtp.To("both@example.org").Single();
        Assert.StartsWith("Daily statements: 2 new — Stop the repression", both.Subject);
        var text = both.Message.TextBody!;
        Assert.Equal(1, CountOf(text, "Stop the repression of South Korean trade unionists")); // once, though on both lists
        Assert.Contains("Ankara bomb attacks", text);
        Assert.Contains("Korea solidarity", text); // grouped by list: the person has two
        Assert.Contains("Turkey solidarity", text);
        Assert.True(text.IndexOf("Stop the repression", StringComparison.Ordinal) < text.IndexOf("Ankara", StringComparison.Ordinal));
        var single = smtp.To("korea.daily@example.org").Single();
        Assert.StartsWith("Daily statements: 1 new — Stop the repression", single.Subject);
        Assert.DoesNotContain("Korea solidarity\n--", single.Message.TextBody); // one list: no list heading
        Assert.Empty(smtp.To("weekly@example.org"));
        Assert.Single(smtp.To("immediate@example.org")); // the statement itself, at once; no digest
        Statements.StatementFlowTests.AssertWellFormed(both, expectedListId: "<korea.example.org>");

        // Again at once: nothing new, nobody mailed.
        var again = await RunAsync(api, "daily");
        Assert.Equal(0, (await api.GetJsonAsync($"/api/dispatches/{again}")).Int("total"));
        Assert.Single(smtp.To("both@example.org"));

        // A third statement: the next digest holds only it.
        await api.PublishAsync(new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "korea" } });
        await RunAsync(api, "daily");
        var next = smtp.To("both@example.org").Last();
        Assert.StartsWith("Daily statements: 1 new — Syria, Iraq and the movement of refugees", next.Subject);
        Assert.DoesNotContain("Stop the repression", next.Message.TextBody);

        // The weekly digest, meanwhile, holds all three for its reader.
        await RunAsync(api, "weekly");
        Assert.StartsWith("Weekly statements: 2 new", smtp.To("weekly@example.org").Single().Subject);
    }

    [Fact]
    public async Task Someone_who_joined_since_gets_only_what_is_new_to_them_and_one_click_leaves_the_whole_digest()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp);
        await app.Api.CreateListAsync("korea");
        await app.Api.CreateListAsync("turkey");
        await app.Api.SubscribeAsync("korea", "old@example.org", cadence: "daily");
        await app.Api.PublishAsync(new { title = "Before they joined", lists = new[] { "korea" } });
        await app.Api.SubscribeAsync("korea", "new@example.org", cadence: "daily");
        await app.Api.SubscribeAsync("turkey", "new@example.org", cadence: "daily");
        await app.Api.PublishAsync(new { title = "After they joined", lists = new[] { "korea" } });

        await RunAsync(app.Api, "daily");

        Assert.Contains("2 new", smtp.To("old@example.org").Single().Subject);
        var mail = smtp.To("new@example.org").Single();
        Assert.StartsWith("Daily statements: 1 new — After they joined", mail.Subject);

        using var provider = app.ClientWithKey(null);
        var link = Statements.StatementFlowTests.UnsubscribeUrlOf(mail);
        using var oneClick = await provider.PostAsync(new Uri(link).PathAndQuery, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]));
        Assert.Equal(HttpStatusCode.OK, oneClick.StatusCode);
        var person = await app.Api.GetJsonAsync("/api/subscribers/new@example.org");
        Assert.All(person["subscriptions"]!.AsArray(), s => Assert.Equal("unsubscribed", s!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_scheduled_period_runs_once_however_many_workers_start_it()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        var quiet = new Dictionary<string, string?> { ["Digests:Daily"] = "0 7 1 1 *", ["Digests:Weekly"] = "0 7 1 1 *", ["Dispatcher:Role"] = "Worker" };
        await using var one = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, quiet);
        await using var two = await one.StartSiblingAsync(quiet);
        var period = new DateTime(2026, 11, 25, 7, 0, 0, DateTimeKind.Utc);

        var started = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            await using var scope = (i % 2 == 0 ? one : two).Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<DigestRunner>()
                .StartAsync(Cadence.Daily, period, Dispatcher.Access.Caller.System, CancellationToken.None);
        }));

        Assert.Single(started, d => d is not null);

        // The same for a zone's run at its readers' local time: once per (zone, time), another zone's is its own.
        var seoul = new DateTime(2026, 11, 24, 22, 0, 0, DateTimeKind.Utc); // 07:00 on 25 November in Seoul
        var local = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            await using var scope = (i % 2 == 0 ? one : two).Services.CreateAsyncScope();
            var zone = i < 4 ? "Asia/Seoul" : "Europe/Berlin";
            return (zone, await scope.ServiceProvider.GetRequiredService<DigestRunner>()
                .StartAsync(Cadence.Daily, seoul, Dispatcher.Access.Caller.System, CancellationToken.None, (zone, new DateOnly(2026, 11, 25))));
        }));
        Assert.Single(local, r => r.zone == "Asia/Seoul" && r.Item2 is not null);
        Assert.Single(local, r => r.zone == "Europe/Berlin" && r.Item2 is not null);
    }

    [Fact]
    public async Task Two_workers_watching_the_schedule_start_one_digest_per_period()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        var everyMinute = new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Worker",
            ["Digests:Daily"] = "* * * * * UTC",
            ["Digests:Weekly"] = "0 7 1 1 *",
            ["Digests:CheckInterval"] = "00:00:00.200",
        };
        await using var one = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>(everyMinute) { ["Dispatcher:Role"] = "All" });
        await using var two = await one.StartSiblingAsync(everyMinute);
        var schedulers = new[] { one, two }.Select(a => a.Services.GetRequiredService<DigestScheduler>()).ToList();

        // Wait until a run exists and both workers have looked at the schedule several times since.
        await Eventually.UntilAsync(() => RunsAsync(one), r => r.Count > 0, TimeSpan.FromSeconds(60), "a scheduled run");
        var checks = schedulers.Select(s => s.Checks).ToList();
        await Eventually.UntilAsync(() => schedulers.Select((s, i) => s.Checks >= checks[i] + 5).All(x => x), TimeSpan.FromSeconds(30), "both workers to look again");

        // Dispatches first, runs second: a new minute between the two reads adds a run, never a dispatch without one.
        var dispatches = (await one.Api.GetJsonAsync("/api/dispatches?kind=digest"))["items"]!.AsArray()
            .Select(d => d!["id"]!.GetValue<long>()).ToList();
        var runs = await RunsAsync(one);
        Assert.Equal(runs.Select(r => r.Period).Distinct().Count(), runs.Count);
        Assert.All(dispatches, id => Assert.Single(runs, r => r.DispatchId == id)); // each digest dispatch is one period's run
        Assert.True(runs.Count - dispatches.Count is 0 or 1, $"{runs.Count} runs, {dispatches.Count} digest dispatches");
    }

    private static async Task<List<DigestRun>> RunsAsync(DispatcherApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>().DigestRuns.AsNoTracking().ToListAsync();
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "").Length) / part.Length;
}

using System.Diagnostics;
using System.Net;
using Dispatcher.Data;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>Two worker processes on RabbitMQ and PostgreSQL, each with a relay of its own so the test knows who sent
/// what. A worker that dies or freezes mid-alert is declared dead by its silence (Dispatching:WorkerDeadAfter), and the
/// other takes the people it held at once — not when their two-minute leases run out — while the frozen one, thawed,
/// sends none of what it lost.</summary>
public sealed class WorkerFailoverTests(ITestOutputHelper output)
{
    private const int People = 3_000;
    private const int Connections = 4;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_worker_killed_mid_alert_is_declared_dead_in_seconds_and_the_other_sends_what_it_held_long_before_the_lease_ends()
    {
        await using var relayA = await TestSmtpServer.StartAsync();
        await using var relayB = await TestSmtpServer.StartAsync();
        await using var web = await StartWebAsync(relayA);
        await using var a = await AppProcess.StartAsync(WorkerSettings(web, relayA));
        await WaitForWorkersAsync(web, 1);
        // Worker A takes the alert's first batches and its relay keeps the messages waiting: A holds people when it dies.
        relayA.Hold = _ => true;
        var dispatchId = await SendAlertAsync(web);
        await Eventually.UntilAsync(() => HeldByWorkersAsync(web, dispatchId), n => n > 0, TimeSpan.FromSeconds(60), "worker A to hold deliveries");
        await using var b = await AppProcess.StartAsync(WorkerSettings(web, relayB));
        await WaitForWorkersAsync(web, 2);

        a.Kill();
        var killedAt = DateTime.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        Assert.True(await a.WaitForExitAsync(TimeSpan.FromSeconds(10)), "kill -9 did not end the process");
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId, timeout: TimeSpan.FromSeconds(90));
        var completedAfter = sinceKill.Elapsed;

        var reclaimed = await ReclaimsAsync(web, dispatchId);
        var taken = Assert.Single(reclaimed);
        output.WriteLine($"completed {completedAfter.TotalSeconds:0.0} s after the kill; {taken.Details} (recorded {(taken.At - killedAt).TotalSeconds:0.0} s after)");
        // Taken through the heartbeat, well before the lease (2 minutes) would have let the sweeper take it.
        Assert.InRange(taken.At - killedAt, TimeSpan.Zero, Lease / 4);
        Assert.Equal(People, dispatch.Int("sent"));
        var received = relayA.Received.Concat(relayB.Received).Select(m => m.To).ToList();
        Assert.Equal(People, received.Distinct().Count());      // everyone
        Assert.Equal(received.Count, received.Distinct().Count()); // A's relay answered none of what it held: nobody twice
        Assert.Contains("dispatcher_deliveries_reclaimed_total{reason=\"dead_worker\"}", await MetricsAsync(b));
    }

    [Fact]
    public async Task A_worker_frozen_past_its_heartbeat_loses_its_people_to_the_other_and_sends_none_of_them_when_thawed()
    {
        await using var relayA = await TestSmtpServer.StartAsync();
        await using var relayB = await TestSmtpServer.StartAsync();
        relayA.Delay = TimeSpan.FromMilliseconds(20); // a relay across a network: A is mid-batch when it freezes
        await using var web = await StartWebAsync(relayA);
        await using var a = await AppProcess.StartAsync(WorkerSettings(web, relayA));
        await WaitForWorkersAsync(web, 1);
        var dispatchId = await SendAlertAsync(web);
        await Eventually.UntilAsync(() => Task.FromResult(relayA.Received.Count), n => n >= 100, TimeSpan.FromSeconds(60), "worker A to be sending");
        await using var b = await AppProcess.StartAsync(WorkerSettings(web, relayB));
        await WaitForWorkersAsync(web, 2);

        await a.PauseAsync();
        var frozenAt = relayA.Received.Count;
        await Eventually.UntilAsync(() => ReclaimsAsync(web, dispatchId), r => r.Count > 0, TimeSpan.FromSeconds(30), "A to be declared dead");
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId, timeout: TimeSpan.FromSeconds(120));
        var beforeThaw = relayA.Received.Count;
        await a.ContinueAsync();
        // A finds it was declared dead at its next heartbeat, and says so; by then there is nothing left for it to send.
        await Eventually.UntilAsync(() => Task.FromResult(a.Output), o => o.Contains("was declared dead"), TimeSpan.FromSeconds(30), "A to find out");

        var received = relayA.Received.Concat(relayB.Received).Select(m => m.To).ToList();
        var duplicates = received.Count - received.Distinct().Count();
        output.WriteLine($"A had sent {frozenAt} when frozen, {beforeThaw} when thawed, {relayA.Received.Count} after; {duplicates} duplicates");
        Assert.Equal(People, dispatch.Int("sent"));
        Assert.Equal(People, received.Distinct().Count());
        // What A's relay accepted after A froze was on the wire already: at most a message per connection. Nothing after the
        // thaw: the lease is asked again right before a message's last bytes go (only a freeze in the microseconds between
        // that and the socket write would send one; SmtpSessionTests cause the wider window that used to be there).
        Assert.InRange(beforeThaw - frozenAt, 0, Connections);
        Assert.Equal(beforeThaw, relayA.Received.Count);
        // Repeats are what A had sent but not yet written down when it froze (as for a kill -9): bounded per batch.
        Assert.InRange(duplicates, 0, Connections * Dispatcher.Dispatching.BatchSender.OutcomesPerWrite);
    }

    private static async Task<DispatcherApp> StartWebAsync(TestSmtpServer relay)
    {
        var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, relay, new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Web",
            ["Dispatching:LeaseDuration"] = Lease.ToString(),
            ["Dispatching:BatchSize"] = "250",
        });
        await web.Api.CreateListWithReadersAsync("statements", People);
        return web;
    }

    private static Dictionary<string, string?> WorkerSettings(DispatcherApp web, TestSmtpServer relay) => new(web.Settings)
    {
        ["Dispatcher:Role"] = "Worker",
        ["Logging:LogLevel:Dispatcher"] = "Warning",
        ["Smtp:Port"] = relay.Port.ToString(),
        ["Smtp:MaxConnections"] = Connections.ToString(),
    };

    private static async Task<long> SendAlertAsync(DispatcherApp web)
    {
        var alert = await web.Api.PostOkAsync("/api/alerts", new { subject = "Ankara: protest at the embassy tonight", bodyMarkdown = "At 18:00.", lists = new[] { "statements" } },
            HttpStatusCode.Created);
        var sent = await web.Api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted);
        return sent["dispatchId"]!.GetValue<long>();
    }

    /// <summary>A machine whose clock is 30 s slow (no NTP) runs a worker beside one whose clock is right: heartbeats are
    /// written and judged by the database's clock, so neither takes the other for dead — which would send again what the
    /// slow one holds, at every beat.</summary>
    [Fact]
    public async Task A_worker_whose_clock_is_30_seconds_slow_is_not_taken_for_dead_by_one_whose_clock_is_right()
    {
        await using var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Web",
        });
        var worker = new Dictionary<string, string?>(web.Settings)
        {
            ["Dispatcher:Role"] = "Worker",
            ["Dispatching:HeartbeatInterval"] = "00:00:00.500",
            ["Dispatching:WorkerDeadAfter"] = "00:00:02",
        };
        await using var slow = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp: null, worker,
            services: s => s.AddSingleton<TimeProvider>(new SlowClock(TimeSpan.FromSeconds(30))));
        await using var right = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp: null, worker);
        await WaitForWorkersAsync(web, 2);

        // The right one judges others once it has beaten steadily for WorkerDeadAfter: let it judge a few times.
        await Eventually.UntilAsync(async () =>
        {
            await using var scope = web.Services.CreateAsyncScope();
            var rows = await scope.ServiceProvider.GetRequiredService<DispatcherDb>().Workers.AsNoTracking().ToListAsync();
            return rows.Min(w => w.HeartbeatAt - w.StartedAt);
        }, beating => beating > TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(60), "both workers to have beaten for 6 s");

        await using var check = web.Services.CreateAsyncScope();
        var workers = await check.ServiceProvider.GetRequiredService<DispatcherDb>().Workers.AsNoTracking().ToListAsync();
        Assert.Equal(2, workers.Count); // nobody declared dead and registered afresh
        Assert.All(workers, w => Assert.Null(w.DeclaredDeadAt));
        // Each says how far its clock is from the database's (leases still use the workers' clocks).
        Assert.InRange(slow.Services.GetRequiredService<Dispatcher.Metrics.DispatcherMetrics>().ClockOffsetSeconds.Value, -31, -29);
        Assert.InRange(right.Services.GetRequiredService<Dispatcher.Metrics.DispatcherMetrics>().ClockOffsetSeconds.Value, -1, 1);
    }

    private sealed class SlowClock(TimeSpan behind) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() - behind;
    }

    private static Task WaitForWorkersAsync(DispatcherApp web, int count) =>
        Eventually.UntilAsync(async () =>
        {
            await using var scope = web.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<DispatcherDb>().Workers.CountAsync(w => w.DeclaredDeadAt == null && w.StoppedAt == null);
        }, n => n == count, TimeSpan.FromSeconds(60), $"{count} live workers");

    private static async Task<int> HeldByWorkersAsync(DispatcherApp web, long dispatchId)
    {
        await using var scope = web.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DispatcherDb>().Deliveries
            .CountAsync(d => d.DispatchId == dispatchId && d.Status == Dispatcher.Dispatching.DeliveryStatus.Sending);
    }

    private static async Task<List<Dispatcher.Audit.AuditEntry>> ReclaimsAsync(DispatcherApp web, long dispatchId)
    {
        await using var scope = web.Services.CreateAsyncScope();
        var target = $"dispatch:{dispatchId}";
        return await scope.ServiceProvider.GetRequiredService<DispatcherDb>().Audit.AsNoTracking()
            .Where(a => a.Target == target && a.Action == "dispatch.reclaimed").ToListAsync();
    }

    private static async Task<string> MetricsAsync(AppProcess worker)
    {
        using var client = worker.Client();
        return await client.GetStringAsync("/metrics");
    }
}

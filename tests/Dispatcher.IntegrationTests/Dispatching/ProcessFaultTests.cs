using System.Diagnostics;
using Dispatcher.Dispatching;
using Dispatcher.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>Worker processes that die (kill -9) or are told to stop (SIGTERM) mid-dispatch, on RabbitMQ and PostgreSQL.
/// The database says who is owed what, so another worker finishes the job; what can repeat is bounded by what was in flight.</summary>
public sealed class ProcessFaultTests(ITestOutputHelper output)
{
    // Five times what a batch sends between writes of its outcomes: a crash must repeat no more than those.
    private const int BatchSize = 5 * BatchSender.OutcomesPerWrite;

    [Fact]
    public async Task A_worker_killed_at_30_percent_is_replaced_and_everyone_gets_the_statement_with_bounded_repeats()
    {
        const int people = 20_000;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(1); // so there is a mid-dispatch to kill in
        await using var web = await StartWebAsync(smtp, people);
        var workerSettings = WorkerSettings(web);

        await using var first = await AppProcess.StartAsync(workerSettings);
        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => smtp.Received.Count >= people * 3 / 10, TimeSpan.FromSeconds(120), "30 % to be sent");

        first.Kill();
        var killedAt = Stopwatch.StartNew();
        var receivedAtKill = smtp.Received.Count;
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(10)), "kill -9 did not end the process");

        await using var second = await AppProcess.StartAsync(workerSettings);
        var startedAfter = killedAt.Elapsed;
        var beforeSecond = smtp.Received.Count;
        await Eventually.UntilAsync(() => smtp.Received.Count > beforeSecond, TimeSpan.FromSeconds(60), "the new worker to send");
        var resumedAfter = killedAt.Elapsed;
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(240));
        var recovered = killedAt.Elapsed;

        var received = smtp.Received.ToList();
        var repeats = received.GroupBy(m => m.To).Where(g => g.Count() > 1).ToList();
        var duplicates = received.Count - received.Select(m => m.To).Distinct().Count();
        // In flight = what each connection's batch had sent since it last wrote its outcomes when the process died.
        var inFlightBound = int.Parse(workerSettings["Smtp:MaxConnections"]!) * BatchSender.OutcomesPerWrite;
        output.WriteLine($"killed at {receivedAtKill} of {people}; {duplicates} duplicates (bound {inFlightBound}); " +
                         $"new worker up {startedAfter.TotalSeconds:0.0} s and sending {resumedAfter.TotalSeconds:0.0} s after the kill; " +
                         $"completed {recovered.TotalSeconds:0.0} s after the kill");

        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(0, dispatch.Int("pending") + dispatch.Int("inFlight") + dispatch.Int("failed"));
        Assert.Equal(people, received.Select(m => m.To).Distinct().Count());   // everyone
        Assert.InRange(duplicates, 0, inFlightBound);                          // repeats bounded by what was in flight
        // A repeat is the same message — same Message-ID — so mail clients and people can tell it for one.
        Assert.All(repeats, g => Assert.Single(g.Select(m => m.Message.MessageId).Distinct()));
    }

    [Fact]
    public async Task SIGTERM_mid_dispatch_leaves_nothing_claimed_and_a_restart_completes_it_exactly_once()
    {
        const int people = 5_000;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(3);
        await using var web = await StartWebAsync(smtp, people);
        var workerSettings = WorkerSettings(web);

        await using var first = await AppProcess.StartAsync(workerSettings);
        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => smtp.Received.Count >= 1000, TimeSpan.FromSeconds(120), "1,000 to be sent");

        var stopping = Stopwatch.StartNew();
        await first.TerminateAsync();
        Assert.True(await first.WaitForExitAsync(TimeSpan.FromSeconds(40)), $"still running 40 s after SIGTERM:\n{first.Output}");
        output.WriteLine($"stopped {stopping.Elapsed.TotalSeconds:0.0} s after SIGTERM with exit code {first.ExitCode}, {smtp.Received.Count} sent");
        Assert.Equal(0, first.ExitCode);

        // Everything it had claimed is either recorded or given back: nothing waits for a lease to run out.
        var stopped = await web.Api.GetJsonAsync($"/api/dispatches/{dispatchId}");
        Assert.Equal(0, stopped.Int("inFlight"));
        Assert.Equal(smtp.Received.Count, stopped.Int("sent"));
        Assert.True(stopped.Int("pending") > 0, "the dispatch finished before the worker was stopped");

        await using var second = await AppProcess.StartAsync(workerSettings);
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(people, smtp.Received.Count);                              // nobody twice
        Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count());
    }

    private static async Task<DispatcherApp> StartWebAsync(TestSmtpServer smtp, int people)
    {
        var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Web",
            ["Dispatching:BatchSize"] = BatchSize.ToString(),
            ["Dispatching:LeaseDuration"] = "00:00:05",
            ["Smtp:MaxConnections"] = "6",
        });
        await web.Api.CreateListWithReadersAsync("statements", people);
        return web;
    }

    private static Dictionary<string, string?> WorkerSettings(DispatcherApp web) =>
        new(web.Settings) { ["Dispatcher:Role"] = "Worker", ["Logging:LogLevel:Dispatcher"] = "Warning" };
}

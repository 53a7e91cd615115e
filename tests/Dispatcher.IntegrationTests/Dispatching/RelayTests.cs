using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>Several relays with weights, one of them down; rate limits; and what /metrics tells an operator.</summary>
public sealed class RelayTests
{
    private static async Task<long> SendStatementAsync(DispatcherApp app, int people)
    {
        await app.Api.CreateListAsync("statements");
        var csv = "email\n" + string.Join("\n", Enumerable.Range(1, people).Select(i => $"reader{i}@example.org"));
        using var import = await app.Api.PostAsync("/api/lists/statements/import", new StringContent(csv, System.Text.Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, import.StatusCode);
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        return dispatchId!.Value;
    }

    /// <summary>A loopback port nothing listens on: a relay that is down.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Mail_is_shared_by_weight_and_a_relay_that_is_down_is_left_to_the_others()
    {
        await using var heavy = await TestSmtpServer.StartAsync();
        await using var light = await TestSmtpServer.StartAsync();
        var down = ClosedPort();
        heavy.Delay = light.Delay = TimeSpan.FromMilliseconds(5); // slow enough that every connection is in use
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Smtp:Relays:0:Host"] = "127.0.0.1", ["Smtp:Relays:0:Port"] = heavy.Port.ToString(), ["Smtp:Relays:0:Security"] = "None", ["Smtp:Relays:0:Weight"] = "3",
            ["Smtp:Relays:1:Host"] = "127.0.0.1", ["Smtp:Relays:1:Port"] = light.Port.ToString(), ["Smtp:Relays:1:Security"] = "None", ["Smtp:Relays:1:Weight"] = "1",
            ["Smtp:Relays:2:Host"] = "127.0.0.1", ["Smtp:Relays:2:Port"] = down.ToString(), ["Smtp:Relays:2:Security"] = "None", ["Smtp:Relays:2:Weight"] = "2",
            ["Dispatching:BatchSize"] = "20",
        });

        var dispatchId = await SendStatementAsync(app, 600);
        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId);

        Assert.Equal(600, dispatch.Int("sent"));
        Assert.Equal(600, heavy.Received.Count + light.Received.Count);
        Assert.Equal(600, heavy.Received.Concat(light.Received).Select(m => m.To).Distinct().Count());
        Assert.True(light.Received.Count > 0, "the lighter relay took no mail");
        Assert.True(heavy.Received.Count > light.Received.Count, $"weights 3:1 but {heavy.Received.Count}:{light.Received.Count} (heavy on {heavy.Port}, light on {light.Port})");

        // /health stays 200 while one relay answers, and names (to an admin) the one that does not.
        using var health = await app.Api.GetAsync("/health");
        var body = await health.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains($"127.0.0.1:{down}", body);
    }

    [Fact]
    public async Task A_relays_rate_limit_holds()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Smtp:Relays:0:Host"] = "127.0.0.1", ["Smtp:Relays:0:Port"] = smtp.Port.ToString(), ["Smtp:Relays:0:Security"] = "None",
            ["Smtp:Relays:0:MessagesPerSecond"] = "20",
        });

        var clock = Stopwatch.StartNew();
        var dispatchId = await SendStatementAsync(app, 60);
        await app.Api.WaitForDispatchAsync(dispatchId);

        // 20 a second, refilled every 100 ms: 60 messages cannot take less than about 2.9 s (a lower bound, never flaky).
        Assert.Equal(60, smtp.Received.Count);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(2.5), $"60 messages at 20/s took only {clock.Elapsed.TotalSeconds:0.00} s");
    }

    [Fact]
    public async Task Metrics_count_what_was_sent_per_lane_and_time_the_relay()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp);
        var dispatchId = await SendStatementAsync(app, 25);
        await app.Api.WaitForDispatchAsync(dispatchId);

        using var anonymous = app.ClientWithKey(null);
        var metrics = await anonymous.GetStringAsync("/metrics");

        Assert.Matches(@"(?m)^dispatcher_messages_sent_total\{lane=""bulk""\} 25$", metrics);
        Assert.Matches($@"(?m)^dispatcher_smtp_send_seconds_count\{{relay=""127\.0\.0\.1:{smtp.Port}""\}} 25$", metrics);
        Assert.Matches($@"(?m)^dispatcher_smtp_connections\{{relay=""127\.0\.0\.1:{smtp.Port}""\}} [0-9]+$", metrics);
        Assert.Matches(@"(?m)^dispatcher_queue_depth\{lane=""bulk""\} 0$", metrics);
        Assert.Matches(@"(?m)^process_working_set_bytes [0-9.e+]+$", metrics);
        Assert.DoesNotMatch(new Regex(@"dispatcher_dispatch_deliveries\{dispatch=""" + dispatchId + @""""), metrics); // finished: not in flight
    }
}

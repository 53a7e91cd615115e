using System.Diagnostics;
using Dispatcher.TestSupport;

namespace Dispatcher.Benchmarks;

/// <summary>The relay as the field has it: across a network (a TCP proxy that delays each direction by half the round
/// trip), and a real Postfix smtpd with STARTTLS, PIPELINING and CHUNKING. For each: an alert to N people as the first
/// send after a restart and again warm, an alert with a big statement send in flight, and a big statement send against the
/// ideal for the network — connections ÷ round trip (docs/performance.md).</summary>
public static class RelayField
{
    public static async Task<List<BenchResult>> RunAsync(BenchOptions options)
    {
        var results = new List<BenchResult>();
        var connections = options.Connections ?? 64;
        var rtt = TimeSpan.FromMilliseconds(options.RoundTripMs);
        var setups = new Dictionary<string, Setup>
        {
            ["sink"] = Setup.SinkAcrossNetwork, ["postfix"] = Setup.PostfixAcrossNetwork, ["postfix-loopback"] = Setup.PostfixLoopback,
        };
        foreach (var setup in (options.Relays ?? [.. setups.Keys]).Select(r => setups.TryGetValue(r, out var s) ? s
                     : throw new ArgumentException($"Unknown relay '{r}'. Known: {string.Join(", ", setups.Keys)}.")))
        {
            var across = setup != Setup.PostfixLoopback && rtt > TimeSpan.Zero;
            ChildProcess? sink = null;
            PrivatePostfix? postfix = null;
            LatencyProxy? proxy = null;
            try
            {
                int relayPort;
                var relaySettings = new Dictionary<string, string>();
                string name;
                if (setup == Setup.SinkAcrossNetwork)
                {
                    (sink, relayPort) = await SmtpSink.StartAsync();
                    name = "smtp-sink (PIPELINING)";
                }
                else
                {
                    postfix = await PrivatePostfix.StartAsync();
                    relayPort = postfix.Port;
                    relaySettings["Smtp__Security"] = "StartTls";
                    relaySettings["Smtp__CertificateSha256"] = postfix.CertificateSha256;
                    name = "Postfix smtpd (STARTTLS, PIPELINING, CHUNKING)";
                }
                if (across)
                {
                    proxy = LatencyProxy.Start(relayPort, rtt);
                    relayPort = proxy.Port;
                    name += $", {options.RoundTripMs:0} ms away";
                }
                else name += ", loopback";
                name += $", {connections} connections";
                results.AddRange(await RunOneAsync(options, name, relayPort, relaySettings, connections, across ? rtt : null, postfix));
            }
            finally
            {
                if (proxy is not null) await proxy.DisposeAsync();
                if (postfix is not null) await postfix.DisposeAsync();
                if (sink is not null) await sink.DisposeAsync();
            }
        }
        return results;
    }

    private enum Setup { SinkAcrossNetwork, PostfixAcrossNetwork, PostfixLoopback }

    private static async Task<List<BenchResult>> RunOneAsync(BenchOptions options, string relay, int relayPort, Dictionary<string, string> relaySettings,
        int connections, TimeSpan? rtt, PrivatePostfix? postfix)
    {
        var results = new List<BenchResult>();
        var (settings, database, connectionString) = await Stacks.SettingsAsync("inmemory", relayPort);
        foreach (var (key, value) in relaySettings) settings[key] = value;
        settings["Smtp__MaxConnections"] = connections.ToString();
        var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;

        // The people first, then the processes.
        await using (var seeding = await BenchApp.StartAsync(options.AppDll, settings, Path.Combine(folder, "seed.log")))
        {
            await seeding.PostAsync("/api/lists", new { name = "Alerts", slug = "alerts" });
            await seeding.PostAsync("/api/lists", new { name = "Statements", slug = "statements" });
        }
        await Seeder.SeedAsync(database, connectionString, "alerts", options.Subscribers, "activist-");
        await Seeder.SeedAsync(database, connectionString, "statements", options.BulkSubscribers, "reader-");

        // An installation that has sent before (its relay's connection limit is learnt and kept), restarted — a deploy:
        // the alert is the first thing the new process sends.
        await using (var before = await BenchApp.StartAsync(options.AppDll, settings, Path.Combine(folder, "before.log")))
        {
            await AlertAsync(before, connectionString, "Before the restart");
            await before.Process.TerminateAsync();
            await before.Process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }
        var started = Stopwatch.StartNew();
        await using var app = await BenchApp.StartAsync(options.AppDll, settings, Path.Combine(folder, "app.log"));
        var ready = started.Elapsed.TotalSeconds;
        var first = await AlertAsync(app, connectionString, "Protest tonight");
        results.Add(Alert(relay, "alert, first send after a restart", options.Subscribers, first, $"; ready {ready:0.0} s after start"));
        var warm = await AlertAsync(app, connectionString, "Protest again tomorrow");
        results.Add(Alert(relay, "alert, alone", options.Subscribers, warm));
        // An alert rarely follows another within Smtp:IdleSeconds: the next one usually finds only the alert lane's own
        // connections open, as the first after a restart does — the like-for-like comparison with it.
        await WaitUntilAsync(async () => OpenConnections(await app.Api.GetStringAsync("/metrics")) <= AlertConnections, TimeSpan.FromMinutes(2),
            "the idle connections to close");
        var afterIdle = await AlertAsync(app, connectionString, "Vigil on Sunday");
        results.Add(Alert(relay, "alert, after the idle connections closed", options.Subscribers, afterIdle));

        var bulk = await app.PostAsync("/api/statements", new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" } });
        var bulkId = bulk["dispatchId"]!.GetValue<long>();
        var into = Math.Min(5_000, Math.Max(1, options.BulkSubscribers / 10));
        await WaitUntilAsync(async () => (await app.GetAsync($"/api/dispatches/{bulkId}"))["sent"]!.GetValue<int>() >= into, TimeSpan.FromMinutes(5),
            $"the statement send to reach {into} sent");
        var busy = await AlertAsync(app, connectionString, "Letter to the embassy");
        var state = await app.GetAsync($"/api/dispatches/{bulkId}");
        results.Add(Alert(relay, $"alert, {options.BulkSubscribers:N0} statement send in flight", options.Subscribers, busy,
            $"; statement at {state["sent"]}/{state["total"]} when the alert finished"));
        await app.PostAsync($"/api/dispatches/{bulkId}/cancel", new { });
        await WaitUntilAsync(async () => (await app.GetAsync($"/api/dispatches/{bulkId}"))["isFinal"]!.GetValue<bool>(), TimeSpan.FromMinutes(2),
            "the statement send to stop");

        var statement = await app.PostAsync("/api/statements", new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var statementId = statement["dispatchId"]!.GetValue<long>();
        var clock = Stopwatch.StartNew();
        var (seconds, _) = await app.WaitForDispatchAsync(statementId, clock, TimeSpan.FromMinutes(20),
            () => Seeder.IsCompletedAsync(database, connectionString, statementId));
        double? network = rtt is { } r ? connections / r.TotalSeconds : null;
        var relayed = postfix is null ? "" : $"; Postfix logged {postfix.Deliveries().Count:N0} messages in all";
        var peakRss = app.Process.PeakRssMb();
        // Postfix on the same two cores takes only so many a second, whoever sends: smtp-source's rate into it (plain
        // SMTP, the same connections and size) is its limit here.
        double? relayLimit = postfix is null ? null : await PostfixLimitAsync(postfix, connections);
        var limit = (network, relayLimit) switch
        {
            ({ } n, { } p) => Math.Min(n, p),
            _ => network ?? relayLimit,
        };
        var why = (network, relayLimit) switch
        {
            ({ } n, { } p) => $"limit = the lower of connections ÷ round trip ({n:N0}) and smtp-source → this Postfix ({p:N0})",
            ({ }, null) => "limit = connections ÷ round trip",
            (null, { } p) => $"limit = smtp-source → this Postfix ({p:N0})",
            _ => "",
        };
        results.Add(new BenchResult("relay", $"{relay}; statement", options.BulkSubscribers, seconds, limit, peakRss, why + relayed));
        return results;
    }

    private static async Task<double> PostfixLimitAsync(PrivatePostfix postfix, int connections)
    {
        const int messages = 20_000;
        var clock = Stopwatch.StartNew();
        await using var source = ChildProcess.Start("/usr/sbin/smtp-source",
            ["-d", "-s", connections.ToString(), "-l", "6100", "-m", messages.ToString(), "-f", "news@example.org", "-t", "reader@example.org", $"127.0.0.1:{postfix.Port}"]);
        await source.WaitForExitAsync(TimeSpan.FromMinutes(10));
        return messages / clock.Elapsed.TotalSeconds;
    }

    private static BenchResult Alert(string relay, string what, int people, (double First, double Last) timing, string extra = "") =>
        new("relay", $"{relay}; {what}", people, timing.Last, null, null,
            $"first accepted after {timing.First:0.00} s, last after {timing.Last:0.00} s{extra}");

    private static async Task<(double First, double Last)> AlertAsync(BenchApp app, string connectionString, string subject)
    {
        var (first, last, _) = await AlertLatency.SendAlertAsync(app, "Sqlite", connectionString, subject);
        return (first, last);
    }

    /// <summary>Smtp:AlertConnections, which the bench leaves at its default: kept open when idle.</summary>
    private const int AlertConnections = 2;

    private static double OpenConnections(string metrics) =>
        metrics.Split('\n').Where(l => l.StartsWith("dispatcher_smtp_connections{", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(50);
        }
    }
}

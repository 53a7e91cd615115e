using System.Diagnostics;
using Dispatcher.TestSupport;
using Npgsql;

namespace Dispatcher.Benchmarks;

/// <summary>The production shape (web + two workers on RabbitMQ and PostgreSQL, the relay a round trip away) losing a
/// part mid-alert: a worker killed (kill -9) at 30 % of the alert, and the node leading the urgent queue of a three-node
/// RabbitMQ cluster killed at 30 %. Reports seconds from the kill to the last message accepted (docs/performance.md).</summary>
public static class Failover
{
    public static async Task<List<BenchResult>> RunAsync(BenchOptions options)
    {
        var results = new List<BenchResult>();
        var connections = options.Connections ?? 32;
        var rtt = TimeSpan.FromMilliseconds(options.RoundTripMs);
        var (sink, sinkPort) = await SmtpSink.StartAsync();
        await using var _ = sink;
        await using var proxy = LatencyProxy.Start(sinkPort, rtt);
        var setup = $"web + 2 workers, RabbitMQ + PostgreSQL, smtp-sink {options.RoundTripMs:0} ms away, {connections} connections a worker";

        results.AddRange(await RunOneAsync(options, $"{setup}; a worker killed at 30 %", proxy.Port, connections, cluster: false));
        results.AddRange(await RunOneAsync(options, $"{setup}, a 3-node RabbitMQ cluster; the urgent queue's leader node killed at 30 %",
            proxy.Port, connections, cluster: true));
        return results;
    }

    private static async Task<List<BenchResult>> RunOneAsync(BenchOptions options, string setup, int relayPort, int connections, bool cluster)
    {
        var (settings, _, connectionString) = await Stacks.SettingsAsync("rabbitmq", relayPort);
        if (cluster)
        {
            var nodes = RealServices.Require("DISPATCHER_TEST_RABBITMQ_CLUSTER");
            var first = nodes.Split(',')[0].Split(':');
            var virtualHost = $"bench-{Guid.NewGuid():N}";
            await NodeCtlAsync(1, "add_vhost", virtualHost);
            await NodeCtlAsync(1, "set_permissions", "-p", virtualHost, "guest", ".*", ".*", ".*");
            (settings["RabbitMq__Host"], settings["RabbitMq__Port"], settings["RabbitMq__Hosts"], settings["RabbitMq__VirtualHost"]) =
                (first[0], first[1], nodes, virtualHost);
        }
        settings["Smtp__MaxConnections"] = connections.ToString();
        var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;
        await using var web = await BenchApp.StartAsync(options.AppDll, new Dictionary<string, string>(settings) { ["Dispatcher__Role"] = "Web" },
            Path.Combine(folder, "web.log"));
        await web.PostAsync("/api/lists", new { name = "Alerts", slug = "alerts" });
        await Seeder.SeedAsync("Postgres", connectionString, "alerts", options.Subscribers, "activist-");
        var workerSettings = new Dictionary<string, string>(settings) { ["Dispatcher__Role"] = "Worker" };
        await using var doomed = await BenchApp.StartAsync(options.AppDll, workerSettings, Path.Combine(folder, "worker-1.log"));
        await using var survivor = await BenchApp.StartAsync(options.AppDll, workerSettings, Path.Combine(folder, "worker-2.log"));

        // Nothing failing first: the same alert's time with both workers and every node (after one to warm up).
        await AlertLatency.SendAlertAsync(web, "Postgres", connectionString, "Warm-up");
        var (_, calm, _) = await AlertLatency.SendAlertAsync(web, "Postgres", connectionString, "Vigil on Sunday");

        var alert = await web.PostAsync("/api/alerts", new { subject = "Protest tonight", bodyMarkdown = "Meet at **18:00** at the embassy.", lists = new[] { "alerts" } });
        var sentAt = DateTime.UtcNow;
        var dispatchId = (await web.PostAsync($"/api/alerts/{alert["id"]}/send", new { }))["dispatchId"]!.GetValue<long>();
        var clock = Stopwatch.StartNew();
        while (await SentAsync(connectionString, dispatchId) < options.Subscribers * 3 / 10)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException("The alert had not reached 30 % after 5 minutes.");
            await Task.Delay(20);
        }
        var killedAt = DateTime.UtcNow;
        var atKill = await SentAsync(connectionString, dispatchId);
        string what;
        int? leader = null;
        if (cluster)
        {
            leader = await UrgentLeaderAsync(settings["RabbitMq__VirtualHost"]);
            var pid = (await File.ReadAllTextAsync(Path.Combine(ClusterDir, $"rabbit-{leader}", "rabbit.pid"))).Trim();
            await Command.RunAsync("kill", ["-9", pid]);
            what = $"node {leader}";
        }
        else
        {
            doomed.Process.Kill();
            what = "worker 1";
        }
        try
        {
            await web.WaitForDispatchAsync(dispatchId, clock, TimeSpan.FromMinutes(10));
            var (last, reclaimed) = await AfterAsync(connectionString, dispatchId);
            var fromKill = (last - killedAt).TotalSeconds;
            return
            [
                new BenchResult("failover", setup, options.Subscribers, (last - sentAt).TotalSeconds, null, null,
                    $"{what} killed at {atKill:N0} sent ({(killedAt - sentAt).TotalSeconds:0.0} s); last message {fromKill:0.0} s after the kill" +
                    (reclaimed is { } r ? $"; {r}" : "") + $"; the same alert with nothing failing: {calm:0.00} s"),
            ];
        }
        finally
        {
            if (leader is { } node)
            {
                await Command.RunAsync("bash", ["-c", "exec \"$0\" -detached </dev/null >/dev/null 2>&1", Path.Combine(ClusterDir, $"rabbit-{node}", "rabbitmq-server")]);
                await NodeCtlAsync(node, "wait", "--timeout", "90", Path.Combine(ClusterDir, $"rabbit-{node}", "rabbit.pid"));
            }
        }
    }

    private static string ClusterDir => RealServices.Require("DISPATCHER_TEST_RABBITMQ_CLUSTER_DIR");

    private static async Task<int> UrgentLeaderAsync(string virtualHost)
    {
        var lines = await NodeCtlAsync(1, "-q", "list_queues", "-p", virtualHost, "name", "leader");
        var urgent = lines.Split('\n').Select(l => l.Split('\t', StringSplitOptions.TrimEntries))
            .First(l => l.Length == 2 && l[0].Contains("urgent", StringComparison.Ordinal) && !l[0].Contains("error", StringComparison.Ordinal));
        return int.Parse(urgent[1].Split('-')[2]); // dispatcher-cluster-N-pid@localhost
    }

    private static async Task<string> NodeCtlAsync(int node, params string[] arguments)
    {
        var (exitCode, output, error) = await Command.RunAsync(Path.Combine(ClusterDir, $"rabbit-{node}", "rabbitmqctl"), arguments);
        if (exitCode != 0) throw new InvalidOperationException($"rabbitmqctl (node {node}) {string.Join(' ', arguments)} failed: {error}");
        return output;
    }

    private static async Task<int> SentAsync(string connectionString, long dispatchId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT COUNT(*) FROM deliveries WHERE dispatch_id = {dispatchId} AND status = 2", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync());
    }

    /// <summary>When the last message was accepted, and the take-over the dispatch's history records, if any.</summary>
    private static async Task<(DateTime Last, string? Reclaimed)> AfterAsync(string connectionString, long dispatchId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var last = new NpgsqlCommand($"SELECT MAX(sent_at) FROM deliveries WHERE dispatch_id = {dispatchId} AND status = 2", connection);
        var lastAt = DateTime.SpecifyKind((DateTime)(await last.ExecuteScalarAsync())!, DateTimeKind.Utc);
        await using var history = new NpgsqlCommand(
            $"SELECT details FROM audit WHERE target = 'dispatch:{dispatchId}' AND action = 'dispatch.reclaimed' ORDER BY id LIMIT 1", connection);
        return (lastAt, await history.ExecuteScalarAsync() as string);
    }
}

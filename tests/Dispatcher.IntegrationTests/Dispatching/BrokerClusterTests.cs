using System.Diagnostics;
using System.Net;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.TestSupport;
using Xunit.Abstractions;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>The production shape for alerts that must not stall: RabbitMQ as three nodes (tests/lib/services.sh starts
/// them) with quorum queues, Dispatcher connected through RabbitMq:Hosts. The node leading the urgent queue is killed
/// (kill -9) mid-alert: the queue gets a new leader, Dispatcher reconnects to a live node, and everyone gets the alert.</summary>
public sealed class BrokerClusterTests(ITestOutputHelper output)
{
    private const int People = 4_000;

    [Fact]
    public async Task The_node_leading_the_urgent_queue_killed_mid_alert_costs_seconds_and_nobody_is_lost()
    {
        var cluster = RealServices.Require("DISPATCHER_TEST_RABBITMQ_CLUSTER");
        var first = cluster.Split(',')[0].Split(':');
        var virtualHost = $"cluster-{Guid.NewGuid():N}";
        await NodeCtlAsync(1, "add_vhost", virtualHost);
        await NodeCtlAsync(1, "set_permissions", "-p", virtualHost, "guest", ".*", ".*", ".*");

        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(4); // ~1,000 a second over four connections: there is a mid-alert to kill in
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["RabbitMq:Host"] = first[0],
            ["RabbitMq:Port"] = first[1],
            ["RabbitMq:Hosts"] = cluster,
            ["RabbitMq:VirtualHost"] = virtualHost,
            ["Smtp:MaxConnections"] = "4",
            ["Dispatching:BatchSize"] = "100",
        });
        await app.Api.CreateListWithReadersAsync("statements", People);
        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Ankara: protest at the embassy tonight", bodyMarkdown = "At 18:00.", lists = new[] { "statements" } },
            HttpStatusCode.Created);
        var sent = await app.Api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted);
        await Eventually.UntilAsync(() => smtp.Received.Count >= People * 3 / 10, TimeSpan.FromSeconds(120), "30 % of the alert to be sent");

        var leader = await UrgentQueueLeaderAsync(virtualHost);
        var pid = (await File.ReadAllTextAsync(Path.Combine(ClusterDir, $"rabbit-{leader}", "rabbit.pid"))).Trim();
        await Command.RunAsync("kill", ["-9", pid]);
        var killed = Stopwatch.StartNew();
        var atKill = smtp.Received.Count;
        try
        {
            var dispatch = await app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>(), timeout: TimeSpan.FromSeconds(120));
            var completedAfter = killed.Elapsed;
            var received = smtp.Received.Select(m => m.To).ToList();
            output.WriteLine($"killed node {leader} (leading the urgent queue) at {atKill} of {People}; completed {completedAfter.TotalSeconds:0.0} s after; " +
                             $"{received.Count - received.Distinct().Count()} duplicates");
            Assert.Equal(People, dispatch.Int("sent"));
            Assert.Equal(People, received.Distinct().Count()); // nobody lost
            // The broker only carries "send this range"; the database says who was sent, so a redelivered batch repeats nobody.
            Assert.Equal(received.Count, received.Distinct().Count());
        }
        finally
        {
            // Back to three, so the cluster is whole for whatever runs next.
            await Command.RunAsync("bash", ["-c", "exec \"$0\" -detached </dev/null >/dev/null 2>&1", Path.Combine(ClusterDir, $"rabbit-{leader}", "rabbitmq-server")]);
            await NodeCtlAsync(leader, "wait", "--timeout", "90", Path.Combine(ClusterDir, $"rabbit-{leader}", "rabbit.pid"));
        }
    }

    private static string ClusterDir => RealServices.Require("DISPATCHER_TEST_RABBITMQ_CLUSTER_DIR");

    /// <summary>Which node (1, 2 or 3) leads the urgent lane's quorum queue.</summary>
    private static async Task<int> UrgentQueueLeaderAsync(string virtualHost)
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
}

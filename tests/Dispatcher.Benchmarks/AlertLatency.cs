using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dispatcher.Benchmarks;

/// <summary>Time from POST /api/alerts/{id}/send to the first and the last alert message accepted by the relay
/// (postfix's smtp-sink), for an alert to N people, alone and with a big statement send in flight.</summary>
public static class AlertLatency
{
    public static async Task<List<BenchResult>> RunAsync(BenchOptions options)
    {
        var results = new List<BenchResult>();
        foreach (var stack in options.Stacks)
        {
            var (sink, sinkPort) = await SmtpSink.StartAsync();
            await using var _ = sink;
            var (settings, database, connectionString) = await Stacks.SettingsAsync(stack, sinkPort);
            var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;
            await using var app = await BenchApp.StartAsync(options.AppDll, settings, Path.Combine(folder, "app.log"));
            await app.PostAsync("/api/lists", new { name = "Alerts", slug = "alerts" });
            await app.PostAsync("/api/lists", new { name = "Statements", slug = "statements" });
            await Seeder.SeedAsync(database, connectionString, "alerts", options.Subscribers, "activist-");
            await Seeder.SeedAsync(database, connectionString, "statements", options.BulkSubscribers, "reader-");

            // Warm up (JIT tiers, templates, connections) with two alerts, then measure.
            await SendAlertAsync(app, database, connectionString, "Warm-up");
            await SendAlertAsync(app, database, connectionString, "Warm-up again");
            var alone = await SendAlertAsync(app, database, connectionString, "Protest tonight");
            results.Add(Result(stack, "alert, alone", options.Subscribers, alone));

            var bulk = await app.PostAsync("/api/statements", new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" } });
            var bulkId = bulk["dispatchId"]!.GetValue<long>();
            // Into its stride, but far from done: a tenth of it (at most 5,000) sent.
            var started = Math.Min(5_000, Math.Max(1, options.BulkSubscribers / 10));
            var deadline = Stopwatch.StartNew();
            while ((await app.GetAsync($"/api/dispatches/{bulkId}"))["sent"]!.GetValue<int>() < started)
            {
                if (deadline.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"The statement send had not reached {started} sent after 5 minutes.");
                await Task.Delay(50);
            }
            var busy = await SendAlertAsync(app, database, connectionString, "Letter to the embassy");
            var bulkState = await app.GetAsync($"/api/dispatches/{bulkId}");
            results.Add(Result(stack, $"alert, {options.BulkSubscribers:N0} statement send in flight", options.Subscribers, busy,
                $"; bulk was at {bulkState["sent"]}/{bulkState["total"]} when the alert finished"));
            await app.PostAsync($"/api/dispatches/{bulkId}/cancel", new { });
        }
        return results;
    }

    private static BenchResult Result(string stack, string what, int people, (double First, double Last, long? Rss) timing, string extra = "") =>
        new("alert latency", $"{Stacks.Describe(stack)}; {what}", people, timing.Last, null, timing.Rss,
            $"first accepted after {timing.First:0.00} s, last after {timing.Last:0.00} s{extra}");

    /// <summary>Creates and sends an alert to the "alerts" list; seconds from send to its first and last message accepted.</summary>
    internal static async Task<(double First, double Last, long? Rss)> SendAlertAsync(BenchApp app, string database, string connectionString, string subject)
    {
        var alert = await app.PostAsync("/api/alerts", new { subject, bodyMarkdown = "Meet at **18:00** at the embassy.", actionUrl = "https://example.org/act", lists = new[] { "alerts" } });
        var clock = Stopwatch.StartNew();
        var started = DateTime.UtcNow;
        var sent = await app.PostAsync($"/api/alerts/{alert["id"]}/send", new { });
        var dispatchId = sent["dispatchId"]!.GetValue<long>();
        await app.WaitForDispatchAsync(dispatchId, clock, TimeSpan.FromMinutes(10));
        var (first, last) = await SentRangeAsync(database, connectionString, dispatchId);
        return ((first - started).TotalSeconds, (last - started).TotalSeconds, app.Process.PeakRssMb());
    }

    /// <summary>When the first and last delivery were recorded as accepted by the relay (recorded per batch of 100).</summary>
    private static async Task<(DateTime First, DateTime Last)> SentRangeAsync(string database, string connectionString, long dispatchId)
    {
        await using DbConnection connection = database == "Postgres" ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT MIN(sent_at), MAX(sent_at) FROM deliveries WHERE dispatch_id = {dispatchId} AND status = 2";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc), DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc));
    }
}

using System.Diagnostics;

namespace Dispatcher.Benchmarks;

/// <summary>A daily digest of 10 statements to N subscribers: render + send, end to end, and the worker's peak memory.</summary>
public static class Digest
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
            await app.PostAsync("/api/lists", new { name = "Statements", slug = "statements" });
            await app.PostAsync("/api/lists", new { name = "Warm-up", slug = "warmup" });
            await Seeder.SeedAsync(database, connectionString, "warmup", 2_000, "warm-", cadence: 1);
            await app.PostAsync("/api/statements", new { title = "Warm-up statement", lists = new[] { "warmup" } });
            await RunDigestAsync(app); // warm-up: JIT, template
            await Seeder.SeedAsync(database, connectionString, "statements", options.Subscribers, "reader-", cadence: 1);
            for (var i = 1; i <= 10; i++)
                await app.PostAsync("/api/statements", new
                {
                    title = $"Statement {i}: Stop the repression of South Korean trade unionists",
                    author = "International Socialist Tendency",
                    summary = "On 14 November 2015, about 100,000 people, most of them trade unionists, took to the streets of Seoul in response to a call by the Korean Confederation of Trade Unions (KCTU) for a national day of protest.",
                    url = $"https://example.org/statements/{i}",
                    lists = new[] { "statements" },
                });

            var (seconds, sent) = await RunDigestAsync(app);
            if (sent != options.Subscribers) throw new InvalidOperationException($"Digest sent {sent} of {options.Subscribers}");
            results.Add(new BenchResult("daily digest", Stacks.Describe(stack), sent, seconds, null, app.Process.PeakRssMb(), "10 statements each"));
        }
        return results;
    }

    private static async Task<(double Seconds, int Sent)> RunDigestAsync(BenchApp app)
    {
        var watch = Stopwatch.StartNew();
        var run = await app.PostAsync("/api/digests/daily/run", new { });
        var (seconds, dispatch) = await app.WaitForDispatchAsync(run["dispatchId"]!.GetValue<long>(), watch, TimeSpan.FromMinutes(30));
        return (seconds, dispatch["sent"]!.GetValue<int>());
    }
}

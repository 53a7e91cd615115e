using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Dispatcher.Benchmarks;

/// <summary>CSV import of N rows through the API into a new list: seconds, and the app's peak memory.</summary>
public static class Import
{
    public static async Task<List<BenchResult>> RunAsync(BenchOptions options)
    {
        var rows = options.Rows;
        var csv = new StringBuilder("email,name,cadence,alerts\n");
        for (var i = 0; i < rows; i++) csv.Append($"reader{i}@example.org,Reader {i},{(i % 3 == 0 ? "weekly" : "immediate")},{(i % 2 == 0 ? "true" : "false")}\n");
        var body = Encoding.UTF8.GetBytes(csv.ToString());
        Console.WriteLine($"CSV of {rows:N0} rows: {body.Length / 1024.0 / 1024.0:0.0} MB");

        var results = new List<BenchResult>();
        foreach (var stack in options.Stacks)
        {
            var (sink, sinkPort) = await SmtpSink.StartAsync(); // /health wants a relay that answers
            await using var _ = sink;
            var (settings, _, _) = await Stacks.SettingsAsync(stack, sinkPort);
            var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;
            if (stack != "rabbitmq") settings["ConnectionStrings__Dispatcher"] = $"Data Source={Path.Combine(folder, "dispatcher.db")}";
            await using var app = await BenchApp.StartAsync(options.AppDll, settings, Path.Combine(folder, "app.log"));
            await app.PostAsync("/api/lists", new { name = "Import", slug = "import" });

            var baseline = app.Process.PeakRssMb();
            var watch = Stopwatch.StartNew();
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using var response = await app.Api.PostAsync("/api/lists/import/import", content);
            var result = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var seconds = watch.Elapsed.TotalSeconds;
            if (result["imported"]?.GetValue<int>() != rows) throw new InvalidOperationException($"Import failed: {result}");

            results.Add(new BenchResult("csv import", Stacks.Describe(stack), rows, seconds, null, app.Process.PeakRssMb(),
                $"{body.Length / 1024 / 1024} MB file; RSS before {baseline} MB"));
        }
        return results;
    }
}

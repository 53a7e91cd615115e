using System.Diagnostics;
using Dispatcher.Mail;
using Dispatcher.Statements;
using MimeKit;

namespace Dispatcher.Benchmarks;

/// <summary>One statement to N confirmed, personalised subscribers, end to end (POST → dispatch completed), into
/// postfix's smtp-sink; and the limit on the same machine: smtp-source → smtp-sink with the same message size and
/// connection count.</summary>
public static class FanOut
{
    private const int BulkConnections = 6; // Smtp:MaxConnections 8 minus Smtp:AlertConnections 2, the defaults

    public static async Task<List<BenchResult>> RunAsync(BenchOptions options)
    {
        var size = await MessageSizeAsync();
        Console.WriteLine($"Statement email: {size:N0} bytes.");
        // Enough messages for a steady rate; a million would take a minute and measure nothing more.
        var limitMessages = Math.Clamp(options.Subscribers, 20_000, 200_000);
        var results = new List<BenchResult>();
        foreach (var stack in options.Stacks)
            foreach (var workers in stack == "rabbitmq" ? options.Workers : [0])
            {
                // Measured just before and just after each run, and the run compared with the mean of the two: this
                // machine's rate drifts over minutes (limits taken a minute or two apart differed by up to 19 %), and a
                // ratio against one limit carries all of that drift. Each worker process opens its own connections:
                // compare with the limit for as many.
                var connections = BulkConnections * Math.Max(1, workers);
                var runs = new List<BenchResult>();
                var before = await LimitAsync(limitMessages, connections, size);
                for (var run = 1; run <= options.Repeat; run++)
                {
                    Console.WriteLine($"Fan-out to {options.Subscribers:N0} on {stack}{(workers > 0 ? $" with {workers} worker process(es)" : "")}, run {run} of {options.Repeat}…");
                    var result = await RunOnceAsync(options, stack, workers, size);
                    var after = await LimitAsync(limitMessages, connections, size);
                    runs.Add(result with
                    {
                        LimitPerSecond = (before + after) / 2,
                        Notes = $"limit {before:N0} before, {after:N0} after; {result.Notes}",
                    });
                    before = after; // the next run starts where this one ended
                }
                results.Add(Median(runs));
            }
        return results;
    }

    private static async Task<double> LimitAsync(int messages, int connections, int size)
    {
        Console.WriteLine($"Limit (smtp-source → smtp-sink, {connections} connections)…");
        return await SmtpSink.LimitAsync(messages, connections, size);
    }

    /// <summary>Runs of one setup vary by ±5–8 % on this machine: the one with the median ratio stands for them, and the
    /// notes say how far the others went.</summary>
    private static BenchResult Median(List<BenchResult> runs)
    {
        if (runs.Count == 1) return runs[0];
        var ordered = runs.OrderBy(r => r.Ratio).ToList();
        var median = ordered[(ordered.Count - 1) / 2];
        return median with
        {
            Notes = $"median of {runs.Count} runs (ratio {ordered[0].Ratio:0.00}–{ordered[^1].Ratio:0.00}, {ordered.Min(r => r.PerSecond):N0}–{ordered.Max(r => r.PerSecond):N0} msg/s), {median.Notes}",
        };
    }

    /// <param name="workers">0: one process does everything; otherwise a Web process and this many Worker processes.</param>
    private static async Task<BenchResult> RunOnceAsync(BenchOptions options, string stack, int workers, int size)
    {
        var folder = Directory.CreateTempSubdirectory("dispatcher-bench-").FullName;
        var (sink, sinkPort) = await SmtpSink.StartAsync();
        await using var _ = sink;

        var (settings, database, connectionString) = await Stacks.SettingsAsync(stack, sinkPort);
        var processes = new List<BenchApp>();
        try
        {
            if (workers == 0) processes.Add(await BenchApp.StartAsync(options.AppDll, settings, Path.Combine(folder, "app.log")));
            else
            {
                processes.Add(await BenchApp.StartAsync(options.AppDll, With(settings, "Web"), Path.Combine(folder, "web.log")));
                for (var i = 0; i < workers; i++)
                    processes.Add(await BenchApp.StartAsync(options.AppDll, With(settings, "Worker"), Path.Combine(folder, $"worker{i}.log")));
            }
            var app = processes[0];
            await app.PostAsync("/api/lists", new { name = "Warm-up", slug = "warmup" });
            await app.PostAsync("/api/lists", new { name = "Statements", slug = "statements" });
            await Seeder.SeedAsync(database, connectionString, "warmup", 500 * Math.Max(1, workers), "warm-");
            await Seeder.SeedAsync(database, connectionString, "statements", options.Subscribers, "reader-");

            // Warm up JIT, the template and the connections, then measure.
            var warm = await app.PostAsync("/api/statements", new { title = "Warm-up", lists = new[] { "warmup" } });
            await app.WaitForDispatchAsync(warm["dispatchId"]!.GetValue<long>(), Stopwatch.StartNew(), TimeSpan.FromMinutes(5));

            var senders = workers == 0 ? processes : processes.Skip(1).ToList();
            var cpuBefore = senders.Sum(p => p.Process.CpuTime().TotalMilliseconds);
            var watch = Stopwatch.StartNew();
            var posted = await app.PostAsync("/api/statements", Statement());
            var dispatchId = posted["dispatchId"]!.GetValue<long>();
            var (seconds, dispatch) = await app.WaitForDispatchAsync(dispatchId, watch, TimeSpan.FromMinutes(60),
                () => Seeder.IsCompletedAsync(database, connectionString, dispatchId));
            var sent = dispatch["sent"]!.GetValue<int>();
            if (sent != options.Subscribers) throw new InvalidOperationException($"Sent {sent} of {options.Subscribers}: {dispatch}");
            var planned = (dispatch["startedAt"]!.GetValue<DateTime>() - dispatch["createdAt"]!.GetValue<DateTime>()).TotalSeconds;
            var cpuPerMessage = (senders.Sum(p => p.Process.CpuTime().TotalMilliseconds) - cpuBefore) * 1000 / sent;
            return new BenchResult("fan-out", Stacks.Describe(stack, workers), sent, seconds, null,
                senders.Max(p => p.Process.PeakRssMb()),
                $"{size / 1024.0:0.0} KB, {BulkConnections * Math.Max(1, workers)} conn, planned in {planned:0.0} s, sender CPU {cpuPerMessage:0} µs/msg, private {senders.Max(p => p.Process.AnonRssMb())} MB at the end");
        }
        finally
        {
            foreach (var process in processes) await process.DisposeAsync();
        }
    }

    private static Dictionary<string, string> With(Dictionary<string, string> settings, string role) =>
        new(settings) { ["Dispatcher__Role"] = role };

    private static object Statement() => new
    {
        title = "Stop the repression of South Korean trade unionists",
        author = "International Socialist Tendency",
        publishedAt = "2015-11-24T09:00:00Z",
        summary = "On 14 November 2015, about 100,000 people, most of them trade unionists, took to the streets of Seoul in response to a call by the Korean Confederation of Trade Unions (KCTU) for a national day of protest. The main focus of the protest was opposition to proposed labour “reforms” by the Park Geun-hye government.",
        url = "https://example.org/statements/stop-the-repression-of-south-korean-trade-unionists",
        lists = new[] { "statements" },
    };

    /// <summary>The size of the message the app sends for Statement(), rendered with the same template and builder.</summary>
    public static async Task<int> MessageSizeAsync()
    {
        var factory = new MessageFactory(new MailOptions { FromAddress = "news@example.org" }, TimeProvider.System);
        var message = factory.Create(await SampleMessageAsync());
        using var stream = new MemoryStream();
        await message.WriteToAsync(stream);
        return (int)stream.Length;
    }

    /// <summary>One personalised statement email, as the app builds it.</summary>
    public static async Task<OutgoingMessage> SampleMessageAsync()
    {
        var templates = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Environment.GetEnvironmentVariable("DISPATCHER_APP_DLL")!)!, "templates"));
        var renderer = new EmailRenderer(templates);
        var email = await renderer.CompileAsync("Statement", "Stop the repression of South Korean trade unionists", r => new StatementEmail
        {
            Recipient = r, PublicBaseUrl = "https://dispatch.example.org", ListName = "Statements",
            Title = "Stop the repression of South Korean trade unionists", Author = "International Socialist Tendency",
            PublishedAt = DateTime.UtcNow, Summary = new string('x', 330), Url = "https://example.org/statements/stop-the-repression-of-south-korean-trade-unionists",
        });
        var token = new string('A', 44);
        return new OutgoingMessage
        {
            Subject = email.Subject,
            Body = email.For(new Personalisation("Reader 123", "reader-123@example.org", $"https://dispatch.example.org/unsubscribe/{token}", $"https://dispatch.example.org/preferences/{token}")),
            ToAddress = "reader-123@example.org", ToName = "Reader 123", MessageId = "d1.s123.0123456789ab@example.org",
            List = new ListIdentity("statements", "Statements"), UnsubscribeUrl = $"https://dispatch.example.org/unsubscribe/{token}",
            UnsubscribeMailto = $"mailto:news@example.org?subject=unsubscribe%20{token}",
        };
    }
}

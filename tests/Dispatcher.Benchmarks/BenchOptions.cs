namespace Dispatcher.Benchmarks;

/// <param name="Repeat">Fan-out: runs per setup; the run with the median ratio is reported, with the range.</param>
/// <param name="RoundTripMs">smtp and relay: the round trip the latency proxy adds in front of the relay.</param>
/// <param name="Connections">smtp and relay: Smtp:MaxConnections.</param>
/// <param name="Relays">relay: which of sink, postfix (both across the network) and postfix-loopback; all by default.</param>
public sealed record BenchOptions(IReadOnlyList<string> Scenarios, int Subscribers, int BulkSubscribers, int Rows, IReadOnlyList<string> Stacks,
    IReadOnlyList<int> Workers, string AppDll, int Repeat = 1, double RoundTripMs = 0, int? Connections = null, IReadOnlyList<string>? Relays = null)
{
    public static BenchOptions Parse(string[] args)
    {
        var scenarios = new List<string>();
        var subscribers = 10_000;
        var rows = 100_000;
        var bulk = 100_000;
        var stacks = new List<string> { "inmemory", "rabbitmq" };
        var workers = new List<int> { 0 };
        var repeat = 1;
        double? roundTrip = null;
        int? connections = null;
        List<string>? relays = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--subscribers": subscribers = int.Parse(args[++i]); break;
                case "--rows": rows = int.Parse(args[++i]); break;
                case "--bulk": bulk = int.Parse(args[++i]); break;
                case "--stacks": stacks = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)]; break;
                case "--repeat": repeat = Math.Max(1, int.Parse(args[++i])); break;
                case "--rtt": roundTrip = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--connections": connections = int.Parse(args[++i]); break;
                case "--relays": relays = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries)]; break;
                case "--workers": workers = [.. args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)]; break;
                default: scenarios.Add(args[i]); break;
            }
        }
        if (scenarios.Count == 0) scenarios.Add("fanout");
        var dll = Environment.GetEnvironmentVariable("DISPATCHER_APP_DLL")
                  ?? throw new InvalidOperationException("DISPATCHER_APP_DLL is not set: run the benchmarks through tests/bench.sh.");
        // The relay scenario is about the network: 20 ms unless told otherwise.
        roundTrip ??= scenarios.Contains("relay") || scenarios.Contains("failover") ? 20 : 0;
        return new BenchOptions(scenarios, subscribers, bulk, rows, stacks, workers, dll, repeat, roundTrip.Value, connections, relays);
    }
}

/// <summary>One line of the printed table.</summary>
public sealed record BenchResult(string Scenario, string Setup, int Messages, double Seconds, double? LimitPerSecond, long? PeakRssMb, string Notes = "")
{
    public double PerSecond => Messages / Seconds;

    public double? Ratio => LimitPerSecond is { } limit ? PerSecond / limit : null;

    public static string Table(IEnumerable<BenchResult> results)
    {
        var rows = results.Select(r => new[]
        {
            r.Scenario, r.Setup, r.Messages.ToString("N0"), r.Seconds.ToString("0.00"), r.PerSecond.ToString("N0"),
            r.LimitPerSecond is { } l ? l.ToString("N0") : "", r.Ratio is { } ratio ? ratio.ToString("0.00") : "",
            r.PeakRssMb?.ToString() ?? "", r.Notes,
        }).ToList();
        string[] header = ["scenario", "setup", "messages", "seconds", "msg/s", "limit msg/s", "ratio", "peak RSS MB", "notes"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))) + " |";
        return string.Join(Environment.NewLine,
            new[] { Line(header), "|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|" }.Concat(rows.Select(Line)));
    }
}

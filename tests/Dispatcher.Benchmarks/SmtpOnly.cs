using System.Diagnostics;
using System.Net.Sockets;
using Dispatcher.Mail;
using Dispatcher.Metrics;
using Dispatcher.TestSupport;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Dispatcher.Benchmarks;

/// <summary>The sending path without the rest of the system: N connections into smtp-sink, each message built by
/// MessageFactory (as the app does) or one prebuilt message again and again — through Dispatcher's own SMTP connections
/// (<see cref="RelayConnections"/>) and through MailKit's SmtpClient, the alternative. With --rtt, through a proxy that
/// adds that round trip: what a relay across a network costs each (docs/adr/0009).</summary>
public static class SmtpOnly
{
    public static async Task<List<BenchResult>> RunAsync(BenchOptions options)
    {
        var connections = options.Connections ?? (options.RoundTripMs > 0 ? 64 : 6);
        var size = await FanOut.MessageSizeAsync();
        var (sink, sinkPort) = await SmtpSink.StartAsync();
        await using var _ = sink;
        await using var proxy = options.RoundTripMs > 0 ? LatencyProxy.Start(sinkPort, TimeSpan.FromMilliseconds(options.RoundTripMs)) : null;
        var port = proxy?.Port ?? sinkPort;
        var count = options.RoundTripMs > 0 ? Math.Min(options.Subscribers, 20_000) : options.Subscribers;
        double? limit = options.RoundTripMs > 0
            ? connections / (options.RoundTripMs / 1000.0)
            : await SmtpSink.LimitAsync(Math.Max(count, 20_000), connections, size);
        var where = options.RoundTripMs > 0 ? $"{options.RoundTripMs} ms round trip, {connections} conn; limit = conn ÷ round trip" : $"{connections} conn";
        var message = await FanOut.SampleMessageAsync();
        var factory = new MessageFactory(new MailOptions { FromAddress = "news@example.org" }, TimeProvider.System);

        await Dispatcher(port, connections, factory, message, Math.Min(count, 1_000), reuse: false); // warm up
        await MailKit(port, connections, factory, message, Math.Min(count, 1_000), reuse: false);
        return
        [
            await Measure("MessageFactory + Dispatcher's SMTP", () => Dispatcher(port, connections, factory, message, count, reuse: false)),
            await Measure("Dispatcher's SMTP alone, one prebuilt message", () => Dispatcher(port, connections, factory, message, count, reuse: true)),
            await Measure("MessageFactory + MailKit", () => MailKit(port, connections, factory, message, count, reuse: false)),
            await Measure("MailKit alone, one prebuilt message", () => MailKit(port, connections, factory, message, count, reuse: true)),
        ];

        async Task<BenchResult> Measure(string setup, Func<Task<string>> run)
        {
            var watch = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var detail = await run();
            var seconds = watch.Elapsed.TotalSeconds;
            var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds * 1000 / count;
            return new BenchResult("smtp only", setup, count, seconds, limit, null, $"{cpuUs:0} µs CPU/msg, {where}{detail}");
        }
    }

    /// <summary>Through <see cref="RelayConnections"/>, as the app sends: jobs on a queue, every connection taking the next.</summary>
    private static async Task<string> Dispatcher(int port, int connections, MessageFactory factory, OutgoingMessage message, int count, bool reuse)
    {
        var smtp = new SmtpOptions { Host = "127.0.0.1", Port = port, Security = SmtpSecurity.None, MaxConnections = connections + 1, AlertConnections = 1 };
        using var relays = new RelaySet(Options.Create(smtp));
        var metrics = new DispatcherMetrics();
        await using var pool = new RelayConnections(Options.Create(smtp), Options.Create(new MailOptions { FromAddress = "news@example.org" }), relays,
            metrics, NullLogger<RelayConnections>.Instance, TimeProvider.System);
        using var prebuilt = factory.Create(message);
        var jobs = Enumerable.Range(0, count).Select(_ => new BenchJob(factory, message, reuse ? prebuilt : null)).ToList();
        pool.Submit(jobs);
        var outcomes = await Task.WhenAll(jobs.Select(j => j.Outcome));
        var refused = outcomes.Count(o => o.Result != SendResult.Accepted);
        if (refused > 0) throw new InvalidOperationException($"{refused} messages not accepted: {outcomes.First(o => o.Result != SendResult.Accepted).Response}");
        var roundTrips = metrics.SmtpRoundTrips.WithLabels(relays.All[0].ToString()).Value;
        return $"; {roundTrips / count:0.00} round trips/msg";
    }

    private sealed class BenchJob(MessageFactory factory, OutgoingMessage message, MimeMessage? prebuilt) : MailJob
    {
        private readonly TaskCompletionSource<SendOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Lane Lane => Lane.Bulk;
        public override string Sender => "bounces+1.0123456789ab@example.org";
        public override string Recipient => message.ToAddress;
        public Task<SendOutcome> Outcome => _outcome.Task;

        public override ValueTask<bool> WriteAsync(Stream output)
        {
            if (prebuilt is not null) WriteMime(prebuilt, output);
            else
            {
                using var built = factory.Create(message);
                WriteMime(built, output);
            }
            return ValueTask.FromResult(true);
        }

        protected override void OnCompleted(SendOutcome outcome) => _outcome.TrySetResult(outcome);
    }

    /// <summary>MailKit's SmtpClient, one per connection, asynchronous (a thread each would not scale to hundreds).</summary>
    private static async Task<string> MailKit(int port, int connections, MessageFactory factory, OutgoingMessage message, int count, bool reuse)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            using var client = new SmtpClient { LocalDomain = "example.org" };
            // Nagle off, as Dispatcher's connections: otherwise each small command waits for a delayed ACK.
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync("127.0.0.1", port);
            await client.ConnectAsync(socket, "127.0.0.1", port, SecureSocketOptions.None);
            var sender = new MailboxAddress("", "bounces+1.0123456789ab@example.org");
            using var prebuilt = factory.Create(message);
            while (Interlocked.Increment(ref next) < count)
            {
                using var built = reuse ? null : factory.Create(message);
                await client.SendAsync(built ?? prebuilt, sender, [new MailboxAddress("", message.ToAddress)]);
            }
            await client.DisconnectAsync(true);
        })));
        return "";
    }
}

using System.Diagnostics;
using System.Net.Sockets;
using Dispatcher.Mail;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Dispatcher.Benchmarks;

/// <summary>The sending path without the rest of the system: N connections, each sending messages built by
/// MessageFactory (a new MimeMessage per message, as the app does) through MailKit into smtp-sink. What the app's
/// fan-out is compared with, to see how much the rest costs — and MailKit alone, writing one prebuilt message again and
/// again: the most any MailKit-based sender can do on this machine. Each both ways: blocking calls on a thread per
/// connection (what the app does) and MailKit's asynchronous calls.</summary>
public static class SmtpOnly
{
    private const int Connections = 6;

    public static async Task<List<BenchResult>> RunAsync(BenchOptions options)
    {
        var size = await FanOut.MessageSizeAsync();
        var limit = await SmtpSink.LimitAsync(Math.Max(options.Subscribers, 20_000), Connections, size);
        var (sink, port) = await SmtpSink.StartAsync();
        await using var _ = sink;
        var message = await FanOut.SampleMessageAsync();
        var factory = new MessageFactory(new MailOptions { FromAddress = "news@example.org" }, TimeProvider.System);

        var perConnection = options.Subscribers / Connections;
        Send(port, factory, message, 200, reuse: false); // warm up
        await SendAsync(port, factory, message, 200, reuse: false);
        return
        [
            Measure("MessageFactory + MailKit, blocking", () => OnThreads(() => Send(port, factory, message, perConnection, reuse: false))),
            Measure("MailKit alone, one prebuilt message, blocking", () => OnThreads(() => Send(port, factory, message, perConnection, reuse: true))),
            Measure("MessageFactory + MailKit, async", () => Task.WaitAll(Enumerable.Range(0, Connections)
                .Select(_ => Task.Run(() => SendAsync(port, factory, message, perConnection, reuse: false))))),
            Measure("MailKit alone, one prebuilt message, async", () => Task.WaitAll(Enumerable.Range(0, Connections)
                .Select(_ => Task.Run(() => SendAsync(port, factory, message, perConnection, reuse: true))))),
        ];

        BenchResult Measure(string setup, Action run)
        {
            var watch = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            run();
            var seconds = watch.Elapsed.TotalSeconds;
            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / (perConnection * Connections);
            return new BenchResult("smtp only", setup, perConnection * Connections, seconds, limit, null, $"{cpuMs * 1000:0} µs CPU/msg, {Connections} conn");
        }
    }

    private static void OnThreads(Action send)
    {
        var threads = Enumerable.Range(0, Connections).Select(_ => new Thread(() => send())).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
    }

    /// <summary>Blocking calls only, so the socket stays a blocking one (see SmtpConnectionPool.OpenAsync).</summary>
    private static void Send(int port, MessageFactory factory, OutgoingMessage message, int count, bool reuse)
    {
        using var client = new SmtpClient { LocalDomain = "example.org" };
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect("127.0.0.1", port);
        var stream = new RelayStream(socket);
        client.Connect(stream, "127.0.0.1", port, SecureSocketOptions.None); // as the app does, DATA pipelined too
        stream.PipelinesData = client.Capabilities.HasFlag(SmtpCapabilities.Pipelining);
        var sender = new MailboxAddress("", "bounces+1.0123456789ab@example.org");
        using var prebuilt = factory.Create(message);
        for (var i = 0; i < count; i++)
        {
            using var built = reuse ? null : factory.Create(message);
            client.Send(built ?? prebuilt, sender, [new MailboxAddress("", message.ToAddress)]);
        }
        client.Disconnect(true);
    }

    private static async Task SendAsync(int port, MessageFactory factory, OutgoingMessage message, int count, bool reuse)
    {
        using var client = new SmtpClient { LocalDomain = "example.org" };
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        await client.ConnectAsync(socket, "127.0.0.1", port, SecureSocketOptions.None);
        var sender = new MailboxAddress("", "bounces+1.0123456789ab@example.org");
        using var prebuilt = factory.Create(message);
        for (var i = 0; i < count; i++)
        {
            using var built = reuse ? null : factory.Create(message);
            await client.SendAsync(built ?? prebuilt, sender, [new MailboxAddress("", message.ToAddress)]);
        }
        await client.DisconnectAsync(true);
    }
}

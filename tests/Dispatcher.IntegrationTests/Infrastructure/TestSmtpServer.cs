using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Dispatcher.Mail.Capture;
using MimeKit;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>A message as the SMTP server received it: the envelope, the parsed message, and whether it came over TLS.</summary>
public sealed record ReceivedMail(string EnvelopeFrom, IReadOnlyList<string> EnvelopeTo, MimeMessage Message, byte[] Raw, long Sequence, bool OverTls)
{
    public string To => EnvelopeTo.Single();

    public string Subject => Message.Subject ?? "";
}

/// <summary>A real SMTP server (the SmtpServer library on a loopback port, Nagle off) that keeps what it receives.
/// Its answers can be changed while it runs, to play a relay that refuses, defers or disappears.</summary>
public sealed class TestSmtpServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly ConcurrentQueue<ReceivedMail> _received = new();

    private TestSmtpServer(int port, Task running)
    {
        Port = port;
        _running = running;
    }

    public int Port { get; }

    public IReadOnlyCollection<ReceivedMail> Received => _received.ToArray();

    /// <summary>How long each message takes to accept: a slow relay.</summary>
    public TimeSpan Delay { get; set; }

    private long _sequence;

    private int _inFlight, _mostInFlight;

    /// <summary>The most messages it was taking at the same time (each on a connection of its own): how many connections
    /// the client kept busy.</summary>
    public int MostInFlight => Volatile.Read(ref _mostInFlight);

    /// <summary>The messages it is taking now (each waiting out <see cref="Delay"/>).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Answer to RCPT TO for an address; null accepts.</summary>
    public Func<string, SmtpResponse?> RecipientReply { get; set; } = _ => null;

    /// <summary>Answer after DATA for a message to this address, instead of taking it; null takes it.</summary>
    public Func<string, SmtpResponse?> MessageReply { get; set; } = _ => null;

    /// <summary>While above zero, each message's connection is dropped after DATA (and the count goes down).</summary>
    public int DropConnections;

    /// <summary>While above zero, each message after DATA gets no answer at all (and the count goes down): a relay that
    /// hangs. The client has to give up; the message is never taken, and its session ends when the server stops.</summary>
    public int StallMessages;

    /// <summary>Messages to addresses this says yes to wait, unanswered, until <see cref="Release"/>: a relay busy with one
    /// kind of mail, so a test can be sure what went first.</summary>
    public Func<string, bool> Hold { get; set; } = _ => false;

    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Answers every held message, and holds none from now on.</summary>
    public void Release()
    {
        Hold = _ => false;
        _released.TrySetResult();
    }

    /// <summary>Every DATA the relay saw, taken or not: who, when, and what it answered.</summary>
    public IReadOnlyCollection<(string To, DateTime At, string Answer)> Attempts => _attempts.ToArray();

    private readonly ConcurrentQueue<(string To, DateTime At, string Answer)> _attempts = new();

    /// <param name="certificate">Offer STARTTLS with this certificate.</param>
    /// <param name="tlsOnConnect">With a certificate: TLS from the first byte (port 465 style) instead of STARTTLS.</param>
    /// <param name="login">Require this login (AUTH PLAIN or LOGIN, over TLS only) before any mail.</param>
    public static async Task<TestSmtpServer> StartAsync(X509Certificate2? certificate = null, bool tlsOnConnect = false,
        (string Username, string Password)? login = null)
    {
        var listeners = new NoDelayEndpointListenerFactory();
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        listeners.EndpointStarted += (_, e) => started.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);

        TestSmtpServer? server = null;
        var options = new SmtpServerOptionsBuilder()
            .ServerName("test-relay")
            // The library ends a session with a bare 554 after a few refused commands; Postfix allows 20 (smtpd_hard_error_limit)
            // and our connections are long-lived, so refusals the test asks for must not turn into refusals it did not.
            .MaxRetryCount(10_000)
            .Endpoint(b =>
            {
                b.Endpoint(new IPEndPoint(IPAddress.Loopback, 0));
                // TLS 1.2 and 1.3, as a relay today offers, whatever the library's default.
                if (certificate is not null) b.Certificate(certificate).IsSecure(tlsOnConnect).SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13);
                if (login is not null) b.AuthenticationRequired().AllowUnsecureAuthentication(false);
            })
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new Store(() => server!));
        services.Add(new Filter(() => server!));
        if (login is { } expected)
            services.Add(new SmtpServer.Authentication.DelegatingUserAuthenticator((user, password) => user == expected.Username && password == expected.Password));
        var stop = new CancellationTokenSource();
        var running = new SmtpServer.SmtpServer(options, services).StartAsync(stop.Token);
        var port = await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        server = new TestSmtpServer(port, running);
        stop.Token.Register(() => { });
        server._stop.Token.Register(stop.Cancel);
        return server;
    }

    public IReadOnlyList<ReceivedMail> To(string address) =>
        Received.Where(m => m.EnvelopeTo.Contains(address, StringComparer.OrdinalIgnoreCase)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running.WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
        _stop.Dispose();
    }

    private sealed class Store(Func<TestSmtpServer> server) : MessageStore
    {
        public override async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            var relay = server();
            var inFlight = Interlocked.Increment(ref relay._inFlight);
            try
            {
                int most;
                while (inFlight > (most = Volatile.Read(ref relay._mostInFlight)) && Interlocked.CompareExchange(ref relay._mostInFlight, inFlight, most) != most)
                {
                }
                if (relay.Delay > TimeSpan.Zero) await Task.Delay(relay.Delay, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref relay._inFlight);
            }
            var to = transaction.To.Single().AsAddress();
            if (relay.Hold(to)) await relay._released.Task.WaitAsync(cancellationToken);
            if (TakeOne(ref relay.DropConnections))
            {
                relay._attempts.Enqueue((to, DateTime.UtcNow, "dropped"));
                context.Pipe.Dispose(); // closes the socket: the client reads no answer to its DATA
                throw new IOException("test relay drops the connection");
            }
            if (TakeOne(ref relay.StallMessages))
            {
                relay._attempts.Enqueue((to, DateTime.UtcNow, "stalled"));
                var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                await using (relay._stop.Token.Register(() => hang.TrySetResult())) await hang.Task; // until the server stops
                throw new IOException("test relay stopped");
            }
            if (relay.MessageReply(to) is { } reply)
            {
                relay._attempts.Enqueue((to, DateTime.UtcNow, $"{(int)reply.ReplyCode}"));
                return reply;
            }
            relay._attempts.Enqueue((to, DateTime.UtcNow, "250"));
            var raw = buffer.ToArray();
            using var stream = new MemoryStream(raw);
            var message = MimeMessage.Load(stream, cancellationToken);
            relay._received.Enqueue(new ReceivedMail(transaction.From.AsAddress(), transaction.To.Select(t => t.AsAddress()).ToList(), message, raw,
                Interlocked.Increment(ref relay._sequence), context.Pipe.IsSecure));
            return SmtpResponse.Ok;
        }
    }

    /// <summary>Counts one off a "while above zero" setting; false, and the count back at zero, once it is used up.</summary>
    private static bool TakeOne(ref int count)
    {
        if (Interlocked.Decrement(ref count) >= 0) return true;
        Interlocked.Exchange(ref count, 0);
        return false;
    }

    private sealed class Filter(Func<TestSmtpServer> server) : MailboxFilter
    {
        public override Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            var relay = server();
            var reply = relay.RecipientReply(to.AsAddress());
            if (reply is not null)
            {
                relay._attempts.Enqueue((to.AsAddress(), DateTime.UtcNow, $"{(int)reply.ReplyCode}"));
                throw new SmtpResponseException(reply);
            }
            return Task.FromResult(true);
        }
    }
}

using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Dispatcher.Mail;

/// <summary>Long-lived SMTP connections to the relays, shared per lane: the urgent lane has its own reserved
/// connections (Smtp:AlertConnections), so a big bulk send never makes an alert wait for a connection.
/// A new connection goes to the relay with the fewest open connections for its weight whose circuit is closed;
/// when one relay fails the next is tried. Sockets are opened with NoDelay: with Nagle on, each small SMTP command
/// waits ~40 ms for an ACK on loopback.</summary>
public sealed class SmtpConnectionPool : IAsyncDisposable
{
    private readonly SmtpOptions _options;
    private readonly RelaySet _relays;
    private readonly string _localDomain;
    private readonly ILogger<SmtpConnectionPool> _logger;
    private readonly LanePool[] _lanes;
    private readonly RateLimiter? _rate;
    private readonly Lock _choosing = new();

    public SmtpConnectionPool(IOptions<SmtpOptions> options, IOptions<MailOptions> mail, RelaySet relays, Metrics.DispatcherMetrics metrics, ILogger<SmtpConnectionPool> logger)
    {
        Metrics = metrics;
        _options = options.Value;
        _relays = relays;
        _localDomain = mail.Value.Domain;
        _logger = logger;
        _lanes = [new LanePool(_options.BulkConnections), new LanePool(_options.AlertConnections)];
        if (_options.MessagesPerSecond is { } perSecond) _rate = RateLimits.PerSecond(perSecond);
    }

    /// <summary>Waits for a free connection of the lane, opening one if none is idle.</summary>
    public async Task<SmtpConnection> RentAsync(Lane lane, CancellationToken cancellationToken)
    {
        var pool = _lanes[(int)lane];
        if (!pool.Slots.Wait(0))
        {
            // The urgent lane may also borrow a free bulk connection (bulk senders give theirs back while an alert
            // is going out); the bulk lane never takes the urgent lane's reserve.
            var bulk = _lanes[(int)Lane.Bulk];
            if (lane == Lane.Urgent && bulk.Slots.Wait(0)) pool = bulk;
            else await pool.Slots.WaitAsync(cancellationToken);
        }
        try
        {
            while (pool.Idle.TryTake(out var idle))
            {
                if (idle.Client.Client.IsConnected && DateTime.UtcNow - idle.LastUsed < TimeSpan.FromSeconds(_options.IdleSeconds))
                    return new SmtpConnection(this, pool, idle.Client, reused: true);
                await CloseAsync(idle.Client);
            }
            return new SmtpConnection(this, pool, await ConnectAsync(cancellationToken), reused: false);
        }
        catch
        {
            pool.Slots.Release();
            throw;
        }
    }

    /// <summary>Opens a connection to the best relay that answers; RelayUnavailableException when none does. The choice
    /// and the count of its connections change together, so connections opened at the same moment still spread by weight.</summary>
    internal async Task<RelayClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        var tried = new List<Relay>();
        while (true)
        {
            Relay? relay;
            lock (_choosing)
            {
                relay = _relays.ByPreference().FirstOrDefault(r => !tried.Contains(r) && !r.IsBroken);
                relay?.Opened();
            }
            if (relay is null)
            {
                problems.AddRange(_relays.All.Where(r => r.IsBroken && !tried.Contains(r))
                    .Select(r => $"{r}: failed repeatedly, left alone for up to {_options.CircuitBreakSeconds} s"));
                throw new RelayUnavailableException(string.Join("; ", problems));
            }
            tried.Add(relay);
            try
            {
                return await relay.Breaker.ExecuteAsync(async token => await OpenAsync(relay, token), cancellationToken);
            }
            catch (RelayUnavailableException e)
            {
                relay.Closed();
                problems.Add(e.Message);
            }
            catch (Polly.CircuitBreaker.BrokenCircuitException)
            {
                relay.Closed();
                problems.Add($"{relay}: failed repeatedly, left alone for up to {_options.CircuitBreakSeconds} s");
            }
        }
    }

    /// <summary>Connects to this relay, whatever its circuit says (the health check asks every relay).</summary>
    internal async Task<RelayClient> ConnectAsync(Relay relay, CancellationToken cancellationToken)
    {
        relay.Opened();
        try
        {
            return await OpenAsync(relay, cancellationToken);
        }
        catch
        {
            relay.Closed();
            throw;
        }
    }

    /// <summary>EHLO, STARTTLS and AUTH as configured, on a NoDelay socket that sends whole messages (see RelayStream).
    /// The caller has counted the connection.</summary>
    /// <remarks>With blocking calls, on a pool thread: a .NET socket that has seen a single asynchronous call stays
    /// non-blocking for good, and each later blocking send or receive is then relayed through the socket event thread,
    /// which took back most of what <see cref="SmtpConnection.Send"/> saves. Smtp:TimeoutSeconds bounds the wait.</remarks>
    private async Task<RelayClient> OpenAsync(Relay relay, CancellationToken cancellationToken)
    {
        var client = new SmtpClient { Timeout = _options.TimeoutSeconds * 1000, LocalDomain = _localDomain };
        if (relay.TrustsCertificate is { } trusts) client.ServerCertificateValidationCallback = trusts;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
            await Task.Run(() =>
            {
                socket.Connect(relay.Host, relay.Port);
                var stream = new RelayStream(socket);
                client.Connect(stream, relay.Host, relay.Port, relay.Security, timeout.Token);
                if (!string.IsNullOrEmpty(relay.Options.Username))
                    client.Authenticate(relay.Options.Username, relay.Options.Password ?? "", timeout.Token);
                // Not with CHUNKING, where MailKit sends BDAT instead of DATA; nor under TLS, which MailKit puts above
                // this stream, so that it sees only ciphertext.
                stream.PipelinesData = _options.PipelineData && !client.IsSecure
                    && client.Capabilities.HasFlag(SmtpCapabilities.Pipelining) && !client.Capabilities.HasFlag(SmtpCapabilities.Chunking);
            }, CancellationToken.None).WaitAsync(timeout.Token);
            _logger.LogDebug("Connected to {Relay}: {Open} open", relay, relay.OpenConnections);
            return new RelayClient(relay, client);
        }
        catch (Exception e)
        {
            socket.Dispose(); // also ends a connect still waiting after the timeout
            client.Dispose();
            if (cancellationToken.IsCancellationRequested) throw;
            throw new RelayUnavailableException($"Cannot reach the SMTP relay at {relay}: {e.Message}", e);
        }
    }

    internal void WaitForRate(Relay relay, CancellationToken cancellationToken)
    {
        if (_rate is not null) RateLimits.Wait(_rate, cancellationToken);
        relay.WaitForRate(cancellationToken);
    }

    internal void Return(LanePool pool, RelayClient? client)
    {
        if (client is not null) pool.Idle.Add(new IdleClient(client, DateTime.UtcNow));
        pool.Slots.Release();
    }

    internal static async Task CloseAsync(RelayClient connection)
    {
        var client = connection.Client;
        connection.Relay.Closed();
        try
        {
            if (client.IsConnected)
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.DisconnectAsync(quit: true, quick.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or SmtpProtocolException or SmtpCommandException or ServiceNotConnectedException)
        {
            // Closing a connection that is already broken: nothing to do.
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pool in _lanes)
            while (pool.Idle.TryTake(out var idle))
                await CloseAsync(idle.Client);
        _rate?.Dispose();
    }

    internal sealed class LanePool(int size)
    {
        public int Size { get; } = size;
        public SemaphoreSlim Slots { get; } = new(size, size);
        public ConcurrentBag<IdleClient> Idle { get; } = [];
    }

    internal readonly record struct IdleClient(RelayClient Client, DateTime LastUsed);

    internal ILogger Logger => _logger;

    internal Metrics.DispatcherMetrics Metrics { get; }
}

/// <summary>A rented connection. Send messages through it, then dispose it to give it back (or drop it when it broke).</summary>
public sealed class SmtpConnection : IAsyncDisposable, IDisposable
{
    private readonly SmtpConnectionPool _owner;
    private readonly SmtpConnectionPool.LanePool _pool;
    private RelayClient? _client;
    private bool _reused;

    internal SmtpConnection(SmtpConnectionPool owner, SmtpConnectionPool.LanePool pool, RelayClient client, bool reused)
    {
        _owner = owner;
        _pool = pool;
        _client = client;
        _reused = reused;
    }

    /// <summary>Sends one message to one recipient and says what the relay answered. Never throws for relay trouble:
    /// a broken connection is replaced (once, when it was an idle pooled one that had gone stale) or reported as Retry.</summary>
    /// <remarks>Synchronous on purpose, for a thread of its own (see BatchSender): MailKit's blocking calls on a blocking
    /// NoDelay socket cost less CPU per message than its asynchronous ones, which hand every reply from the socket's event
    /// thread to the thread pool (docs/adr/0005).</remarks>
    public SendOutcome Send(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                _client ??= _owner.ConnectAsync(cancellationToken).GetAwaiter().GetResult();
                _owner.WaitForRate(_client.Relay, cancellationToken);
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var response = _client.Client.Send(message, sender, [recipient], cancellationToken);
                _owner.Metrics.SmtpSendSeconds.WithLabels(_client.Relay.ToString()).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                _reused = true;
                return SendOutcome.Accepted(response);
            }
            catch (SmtpCommandException e)
            {
                var outcome = SendOutcome.FromReply((int)e.StatusCode, e.Message, e.ErrorCode == SmtpErrorCode.RecipientNotAccepted);
                if ((int)e.StatusCode == 421) Drop(); // the relay is closing this connection
                return outcome;
            }
            catch (RelayUnavailableException e)
            {
                return SendOutcome.Unavailable(e.Message);
            }
            catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException
                                          or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                var wasReused = _reused;
                Drop();
                if (wasReused)
                {
                    // A pooled connection the relay had already closed: try once on a fresh one.
                    _reused = false;
                    continue;
                }
                _owner.Logger.LogWarning("SMTP connection failed: {Message}", e.Message);
                return SendOutcome.Unavailable($"connection failed: {e.Message}");
            }
        }
    }

    /// <summary><see cref="Send"/> for a caller on the thread pool (a test send), which must not block a pool thread.</summary>
    public Task<SendOutcome> SendAsync(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Send(message, sender, recipient, cancellationToken), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Drop()
    {
        if (_client is null) return;
        var broken = _client;
        _client = null;
        SmtpConnectionPool.CloseAsync(broken).GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is { Client.IsConnected: false }) await SmtpConnectionPool.CloseAsync(_client);
        _owner.Return(_pool, _client is { Client.IsConnected: true } ? _client : null);
        _client = null;
    }

    /// <summary>For the sending threads (see <see cref="Send"/>), which may block.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>An open SMTP client and the relay it talks to.</summary>
public sealed record RelayClient(Relay Relay, SmtpClient Client);

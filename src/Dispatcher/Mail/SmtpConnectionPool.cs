using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Dispatcher.Dispatching;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Dispatcher.Mail;

/// <summary>Where the relay is. With Smtp:Host empty it is the capture mailbox, whose port is known once it listens.</summary>
public sealed class RelayAddress(IOptions<SmtpOptions> options)
{
    private int? _capturePort;

    public string Host => options.Value.UsesCaptureMailbox ? "127.0.0.1" : options.Value.Host!;
    public int Port => options.Value.UsesCaptureMailbox ? _capturePort ?? throw new RelayUnavailableException("The capture mailbox is not listening yet.") : options.Value.Port;
    public SmtpSecurity Security => options.Value.UsesCaptureMailbox ? SmtpSecurity.None : options.Value.Security;

    public void UseCaptureMailbox(int port) => _capturePort = port;

    public override string ToString() => options.Value.UsesCaptureMailbox ? $"capture mailbox on 127.0.0.1:{_capturePort}" : $"{Host}:{Port}";
}

public sealed class RelayUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Long-lived SMTP connections to the relay, shared per lane: the urgent lane has its own reserved
/// connections (Smtp:AlertConnections), so a big bulk send never makes an alert wait for a connection.
/// Sockets are opened with NoDelay: with Nagle on, each small SMTP command waits ~40 ms for an ACK on loopback.</summary>
public sealed class SmtpConnectionPool : IAsyncDisposable
{
    private readonly SmtpOptions _options;
    private readonly RelayAddress _relay;
    private readonly string _localDomain;
    private readonly ILogger<SmtpConnectionPool> _logger;
    private readonly LanePool[] _lanes;
    private readonly RateLimiter? _rate;

    public SmtpConnectionPool(IOptions<SmtpOptions> options, IOptions<MailOptions> mail, RelayAddress relay, ILogger<SmtpConnectionPool> logger)
    {
        _options = options.Value;
        _relay = relay;
        _localDomain = mail.Value.Domain;
        _logger = logger;
        _lanes = [new LanePool(_options.BulkConnections), new LanePool(_options.AlertConnections)];
        if (_options.MessagesPerSecond is { } perSecond)
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, perSecond / 10),
                TokensPerPeriod = Math.Max(1, perSecond / 10),
                ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
                QueueLimit = int.MaxValue,
                AutoReplenishment = true,
            });
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
                if (idle.Client.IsConnected && DateTime.UtcNow - idle.LastUsed < TimeSpan.FromSeconds(_options.IdleSeconds))
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

    internal async Task<SmtpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        var client = new SmtpClient { Timeout = _options.TimeoutSeconds * 1000, LocalDomain = _localDomain };
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
            await socket.ConnectAsync(_relay.Host, _relay.Port, timeout.Token);
            await client.ConnectAsync(socket, _relay.Host, _relay.Port, ToMailKit(_relay.Security), timeout.Token);
            if (!_options.UsesCaptureMailbox && !string.IsNullOrEmpty(_options.Username))
                await client.AuthenticateAsync(_options.Username, _options.Password ?? "", timeout.Token);
            return client;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            client.Dispose();
            throw new RelayUnavailableException($"Cannot reach the SMTP relay at {_relay}: {e.Message}", e);
        }
    }

    internal ValueTask WaitForRateAsync(CancellationToken cancellationToken) =>
        _rate is null ? ValueTask.CompletedTask : WaitAsync(_rate, cancellationToken);

    private static async ValueTask WaitAsync(RateLimiter limiter, CancellationToken cancellationToken)
    {
        using var lease = await limiter.AcquireAsync(1, cancellationToken);
    }

    internal void Return(LanePool pool, SmtpClient? client)
    {
        if (client is not null) pool.Idle.Add(new IdleClient(client, DateTime.UtcNow));
        pool.Slots.Release();
    }

    internal static async Task CloseAsync(SmtpClient client)
    {
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

    private static SecureSocketOptions ToMailKit(SmtpSecurity security) => security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };

    internal sealed class LanePool(int size)
    {
        public int Size { get; } = size;
        public SemaphoreSlim Slots { get; } = new(size, size);
        public ConcurrentBag<IdleClient> Idle { get; } = [];
    }

    internal readonly record struct IdleClient(SmtpClient Client, DateTime LastUsed);

    internal ILogger Logger => _logger;
}

/// <summary>A rented connection. Send messages through it, then dispose it to give it back (or drop it when it broke).</summary>
public sealed class SmtpConnection : IAsyncDisposable
{
    private readonly SmtpConnectionPool _owner;
    private readonly SmtpConnectionPool.LanePool _pool;
    private SmtpClient? _client;
    private bool _reused;

    internal SmtpConnection(SmtpConnectionPool owner, SmtpConnectionPool.LanePool pool, SmtpClient client, bool reused)
    {
        _owner = owner;
        _pool = pool;
        _client = client;
        _reused = reused;
    }

    /// <summary>Sends one message to one recipient and says what the relay answered. Never throws for relay trouble:
    /// a broken connection is replaced (once, when it was an idle pooled one that had gone stale) or reported as Retry.</summary>
    public async Task<SendOutcome> SendAsync(MimeMessage message, MailboxAddress sender, MailboxAddress recipient, CancellationToken cancellationToken)
    {
        await _owner.WaitForRateAsync(cancellationToken);
        while (true)
        {
            try
            {
                _client ??= await _owner.ConnectAsync(cancellationToken);
                var response = await _client.SendAsync(message, sender, [recipient], cancellationToken);
                _reused = true;
                return SendOutcome.Accepted(response);
            }
            catch (SmtpCommandException e)
            {
                var outcome = SendOutcome.FromReply((int)e.StatusCode, e.Message, e.ErrorCode == SmtpErrorCode.RecipientNotAccepted);
                if ((int)e.StatusCode == 421) await DropAsync(); // the relay is closing this connection
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
                await DropAsync();
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

    private async Task DropAsync()
    {
        if (_client is null) return;
        var broken = _client;
        _client = null;
        await SmtpConnectionPool.CloseAsync(broken);
    }

    public ValueTask DisposeAsync()
    {
        _owner.Return(_pool, _client is { IsConnected: true } ? _client : null);
        if (_client is { IsConnected: false }) _client.Dispose();
        _client = null;
        return ValueTask.CompletedTask;
    }
}

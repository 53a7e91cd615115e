using System.ComponentModel.DataAnnotations;
using System.Net.Security;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using MailKit.Security;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Dispatcher.Mail;

/// <summary>One relay of Smtp:Relays (Smtp:Relays:0:Host, …). Without any, Smtp:Host and its neighbours are the one relay.</summary>
public sealed class RelayOptions
{
    [Required] public string Host { get; set; } = "";
    [Range(1, 65535)] public int Port { get; set; } = 25;
    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>The SHA-256 fingerprint of the relay's own TLS certificate, to trust it though no authority vouches for it
    /// (a relay of your own with a self-signed certificate): that certificate is accepted, and no other that fails the
    /// usual checks. Empty: the usual checks only. Colons and case do not matter.</summary>
    public string? CertificateSha256 { get; set; }

    internal static bool IsSha256(string? fingerprint) =>
        string.IsNullOrEmpty(fingerprint) || fingerprint.Replace(":", "") is { Length: 64 } hex && hex.All(char.IsAsciiHexDigit);

    /// <summary>Its share of the connections (and so of the mail): weights 3 and 1 send three quarters through the first.</summary>
    [Range(1, 1000)] public int Weight { get; set; } = 1;

    /// <summary>This relay's own limit per worker process; empty = only Smtp:MessagesPerSecond applies.</summary>
    [Range(1, 1_000_000)] public int? MessagesPerSecond { get; set; }

    /// <summary>At most this many connections to this relay per worker process; empty = Smtp:MaxConnections. Within it
    /// the number adapts to what the relay takes (see ConnectionLimit).</summary>
    [Range(1, 1024)] public int? MaxConnections { get; set; }
}

public sealed class RelayUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A relay: where it is, its rate limit, its open connections, and a circuit breaker (Polly) that stops new
/// connection attempts for a while after repeated failures, so a dead relay is not hammered and the others take the work.</summary>
public sealed class Relay : IDisposable
{
    private readonly RateLimiter? _limiter;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private int _open, _shared;

    /// <summary>Connections a relay gets at first, before it has shown whether more make it faster.</summary>
    private const int FirstConnections = 16;

    /// <param name="maxSharedConnections">The cap of <see cref="Limit"/>: its connections less the alert lane's own.</param>
    internal Relay(RelayOptions options, int? captureMailboxPort, TimeSpan breakFor, int maxSharedConnections)
    {
        Options = options;
        Limit = new ConnectionLimit(maxSharedConnections, FirstConnections);
        CapturePort = captureMailboxPort;
        TrustsCertificate = Trusting(options.CertificateSha256);
        if (options.MessagesPerSecond is { } perSecond) _limiter = RateLimits.PerSecond(perSecond);
        Breaker = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                StateProvider = _circuit,
                FailureRatio = 0.5,
                MinimumThroughput = 3,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = breakFor,
                // A relay that refuses some connections as too busy while others open fine does not break the circuit
                // (ConnectionLimit opens fewer); one that refuses them all is down.
                ShouldHandle = new PredicateBuilder().Handle<RelayUnavailableException>(e =>
                    e.InnerException is not Smtp.RelayBusyException || OpenConnections - Opening <= 0),
            })
            .Build();
    }

    public RelayOptions Options { get; }
    internal int? CapturePort { get; set; }
    internal ResiliencePipeline Breaker { get; }

    public string Host => Options.Host;
    public int Port => CapturePort ?? Options.Port;
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Open connections of the bulk lane: the ones <see cref="Limit"/> governs. The alert lane's own few are
    /// always allowed, so a relay that said it is busy never leaves alerts without a connection.</summary>
    internal int SharedConnections => Volatile.Read(ref _shared);

    /// <summary>How many bulk-lane connections it gets now.</summary>
    public ConnectionLimit Limit { get; }

    /// <summary>Room for one more connection of this kind, its circuit closed.</summary>
    internal bool HasRoom(bool shared) => !IsBroken && (!shared || SharedConnections < Limit.Value);

    /// <summary>Counts one bulk-lane connection as closed when more are open than the limit allows now: true for the one
    /// that should go.</summary>
    internal bool TryLeaveOverLimit()
    {
        while (true)
        {
            var open = Volatile.Read(ref _shared);
            if (open <= Limit.Value) return false;
            if (Interlocked.CompareExchange(ref _shared, open - 1, open) != open) continue;
            Interlocked.Decrement(ref _open);
            return true;
        }
    }

    private int _opening;

    /// <summary>Connections being opened (connect, TLS, EHLO, AUTH) and not yet sending.</summary>
    internal int Opening => Volatile.Read(ref _opening);

    internal void OpeningStarted() => Interlocked.Increment(ref _opening);
    internal void OpeningEnded() => Interlocked.Decrement(ref _opening);

    /// <summary>What went wrong when it was last tried, for the error of mail nobody can send.</summary>
    internal string? LastProblem { get; set; }

    /// <summary>Its circuit is open: it failed repeatedly and is left alone for Smtp:CircuitBreakSeconds.</summary>
    public bool IsBroken => _circuit.CircuitState is CircuitState.Open or CircuitState.Isolated;

    /// <summary>Open connections per unit of weight: the relay with the least gets the next connection.</summary>
    internal double Load => (double)OpenConnections / Options.Weight;

    internal void Opened(bool shared)
    {
        Interlocked.Increment(ref _open);
        if (shared) Interlocked.Increment(ref _shared);
    }

    internal void Closed(bool shared)
    {
        Interlocked.Decrement(ref _open);
        if (shared) Interlocked.Decrement(ref _shared);
    }

    internal RateLimiter? Rate => _limiter;

    internal SecureSocketOptions Security => Options.Security switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        _ => SecureSocketOptions.Auto,
    };

    /// <summary>With Smtp:…:CertificateSha256, accepts the certificate that has it as well as any that passes the usual
    /// checks; null leaves MailKit's usual checks alone.</summary>
    internal RemoteCertificateValidationCallback? TrustsCertificate { get; }

    private static RemoteCertificateValidationCallback? Trusting(string? fingerprint)
    {
        if (string.IsNullOrEmpty(fingerprint)) return null;
        var pinned = fingerprint.Replace(":", "");
        return (_, certificate, _, errors) => errors == SslPolicyErrors.None || certificate is not null
            && string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), pinned, StringComparison.OrdinalIgnoreCase);
    }

    public override string ToString() => CapturePort is not null ? $"capture mailbox on 127.0.0.1:{Port}" : $"{Host}:{Port}";

    public void Dispose() => _limiter?.Dispose();
}

/// <summary>The relays this process sends through: Smtp:Relays, or the single Smtp:Host, or (Smtp:Host empty) the
/// capture mailbox, whose port is known once it listens.</summary>
public sealed class RelaySet : IDisposable
{
    public RelaySet(IOptions<SmtpOptions> options)
    {
        var o = options.Value;
        var breakFor = TimeSpan.FromSeconds(o.CircuitBreakSeconds);
        All = o.UsesCaptureMailbox
            ? [new Relay(new RelayOptions { Host = "127.0.0.1", Security = SmtpSecurity.None }, captureMailboxPort: 0, breakFor, o.BulkConnections)]
            : o.EffectiveRelays.Select(r => new Relay(r, null, breakFor, Math.Max(1, (r.MaxConnections ?? o.MaxConnections) - o.AlertConnections))).ToList();
    }

    public IReadOnlyList<Relay> All { get; }

    public void UseCaptureMailbox(int port) => All[0].CapturePort = port;

    /// <summary>The relay for a new connection: the least loaded for its weight of those with room; null when none has.</summary>
    internal Relay? WithRoom(bool shared) => All.Count == 1
        ? All[0].HasRoom(shared) ? All[0] : null
        : All.Where(r => r.HasRoom(shared)).OrderBy(r => r.Load).ThenByDescending(r => r.Options.Weight).FirstOrDefault();

    public override string ToString() => string.Join(", ", All.Select(r => All.Count == 1 ? r.ToString() : $"{r} (weight {r.Options.Weight})"));

    public void Dispose()
    {
        foreach (var relay in All) relay.Dispose();
    }
}

public static class RateLimits
{
    /// <summary>A token bucket refilled every 100 ms, so the rate is smooth rather than a burst each second.</summary>
    public static RateLimiter PerSecond(int perSecond) => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
    {
        TokenLimit = Math.Max(1, perSecond / 10),
        TokensPerPeriod = Math.Max(1, perSecond / 10),
        ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
        QueueLimit = int.MaxValue,
        AutoReplenishment = true,
    });

    /// <summary>Waits until a permit is free.</summary>
    public static async ValueTask WaitAsync(RateLimiter limiter, CancellationToken cancellationToken)
    {
        using var lease = await limiter.AcquireAsync(1, cancellationToken);
    }
}

using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Dispatcher.Mail;

public enum SmtpSecurity { None, StartTls, SslOnConnect, Auto }

/// <summary>The "Smtp" section: the relay, or (Host empty) the built-in capture mailbox.</summary>
public sealed class SmtpOptions
{
    public const string Section = "Smtp";

    /// <summary>Empty: send to the capture mailbox inside this process.</summary>
    public string? Host { get; set; }

    [Range(1, 65535)] public int Port { get; set; } = 25;
    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>See <see cref="RelayOptions.CertificateSha256"/>.</summary>
    public string? CertificateSha256 { get; set; }

    /// <summary>Open connections per worker process at most, both lanes together; within it the bulk lane's adapt to the
    /// relay (Mail/ConnectionLimit).</summary>
    [Range(1, 256)] public int MaxConnections { get; set; } = 8;

    /// <summary>The urgent lane's own connections (alerts, confirmations), out of MaxConnections: kept open and logged in.</summary>
    [Range(1, 64)] public int AlertConnections { get; set; } = 2;

    /// <summary>Per worker process; empty = unlimited.</summary>
    [Range(1, 1_000_000)] public int? MessagesPerSecond { get; set; }

    /// <summary>Seconds to wait for the relay on connect and on each command.</summary>
    [Range(1, 600)] public int TimeoutSeconds { get; set; } = 30;

    /// <summary>PIPELINING (RFC 2920) with a relay that offers it, over TLS too: one round trip a message (see
    /// Mail/Smtp/SmtpSession). Off for a relay that mishandles it: one command at a time.</summary>
    public bool PipelineData { get; set; } = true;

    /// <summary>A bulk connection idle this long closes; the alert lane's own say NOOP this often to stay open.</summary>
    [Range(1, 3600)] public int IdleSeconds { get; set; } = 20;

    /// <summary>Several relays with weights (Smtp:Relays:0:Host, :Port, :Weight, …); when set, Smtp:Host is not used.</summary>
    public List<RelayOptions> Relays { get; set; } = [];

    /// <summary>After repeated failures to connect to a relay, how long to leave it alone before trying again.</summary>
    [Range(1, 3600)] public int CircuitBreakSeconds { get; set; } = 15;

    public bool UsesCaptureMailbox => string.IsNullOrWhiteSpace(Host) && Relays.Count == 0;

    public IReadOnlyList<RelayOptions> EffectiveRelays => Relays.Count > 0
        ? Relays
        : [new RelayOptions { Host = Host ?? "", Port = Port, Security = Security, Username = Username, Password = Password, CertificateSha256 = CertificateSha256 }];

    /// <summary>What is wrong with the relays' settings, naming the key (Smtp:CertificateSha256, Smtp:Relays:N:…); null when nothing.</summary>
    public string? RelaysProblem =>
        (RelayOptions.IsSha256(CertificateSha256) ? null : NotSha256("Smtp:CertificateSha256"))
        ?? Relays.Select((r, i) =>
                string.IsNullOrWhiteSpace(r.Host) ? $"Smtp:Relays:{i}:Host is empty."
                : r.Port is < 1 or > 65535 ? $"Smtp:Relays:{i}:Port must be between 1 and 65535."
                : r.Weight is < 1 or > 1000 ? $"Smtp:Relays:{i}:Weight must be between 1 and 1000."
                : r.MessagesPerSecond is < 1 ? $"Smtp:Relays:{i}:MessagesPerSecond must be at least 1."
                : !RelayOptions.IsSha256(r.CertificateSha256) ? NotSha256($"Smtp:Relays:{i}:CertificateSha256")
                : null)
            .FirstOrDefault(p => p is not null);

    /// <summary>Stops the start with <see cref="RelaysProblem"/> itself, which names the relay and key at fault.</summary>
    public static readonly IValidateOptions<SmtpOptions> Check = new Hosting.OptionsProblem<SmtpOptions>(o => o.RelaysProblem);

    private static string NotSha256(string key) => $"{key} must be a SHA-256 fingerprint: 64 hexadecimal digits, colons allowed.";
    public int BulkConnections => Math.Max(1, MaxConnections - AlertConnections);
}

/// <summary>The "Mail" section: who the mail is from and where bounces go.</summary>
public sealed class MailOptions
{
    public const string Section = "Mail";

    [Required, EmailAddress] public string FromAddress { get; set; } = "dispatcher@localhost.localdomain";
    [Required] public string FromName { get; set; } = "Dispatcher";

    /// <summary>Envelope sender; defaults to FromAddress.</summary>
    [EmailAddress] public string? BounceAddress { get; set; }

    public string EnvelopeSender => string.IsNullOrWhiteSpace(BounceAddress) ? FromAddress : BounceAddress;

    /// <summary>Envelope sender per delivery, bounces+&lt;delivery&gt;.&lt;tag&gt;@domain (see ReturnPaths): the bounce
    /// mailbox must accept plus-addresses, as Postfix (recipient_delimiter = +), Exim, Gmail and Microsoft 365 do.
    /// Turn it off only for a relay that replaces the envelope sender with its own.</summary>
    public bool Verp { get; set; } = true;

    public bool HasValidBounceAddress => !Verp || !EnvelopeSender[..EnvelopeSender.LastIndexOf('@')].Contains('+');

    /// <summary>The domain part of FromAddress, used for Message-ID and List-Id.</summary>
    public string Domain => FromAddress[(FromAddress.LastIndexOf('@') + 1)..].ToLowerInvariant();
}

/// <summary>The "Mailbox" section: the built-in capture mailbox used when Smtp:Host is empty.</summary>
public sealed class MailboxOptions
{
    public const string Section = "Mailbox";

    /// <summary>0: any free loopback port (printed at start).</summary>
    [Range(0, 65535)] public int Port { get; set; }

    /// <summary>How many of the newest messages it keeps in memory.</summary>
    [Range(1, 100_000)] public int Capacity { get; set; } = 1000;

    /// <summary>Larger messages are refused (552): the mailbox holds everything in memory.</summary>
    [Range(1024, 50 * 1024 * 1024)] public int MaxMessageBytes { get; set; } = 1024 * 1024;
}

/// <summary>The "Templates" section.</summary>
public sealed class TemplateOptions
{
    public const string Section = "Templates";

    [Required] public string Path { get; set; } = "templates";

    /// <summary>A Razor source editor in the admin UI. Razor is C#: whoever can save a template runs code in every
    /// Dispatcher process, with its files and secrets — this is equal to shell access on every process. Off, templates
    /// come from the files only (edits made while it was on are ignored), and the admin UI edits content, not code.</summary>
    public bool AllowCodeEditing { get; set; }
}

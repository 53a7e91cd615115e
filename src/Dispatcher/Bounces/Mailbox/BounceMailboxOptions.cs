using System.ComponentModel.DataAnnotations;
using MailKit.Security;

namespace Dispatcher.Bounces.Mailbox;

/// <summary>Bounces:Imap:* or Bounces:Pop3:* — the mailbox that receives what is sent to Mail:BounceAddress (and its
/// +VERP addresses): bounces, complaint reports and mailto: unsubscribes.</summary>
public sealed class BounceMailboxOptions
{
    public MailboxServer Imap { get; set; } = new();
    public MailboxServer Pop3 { get; set; } = new();

    /// <summary>How often a worker looks at the mailbox.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Messages handled per visit; the rest wait for the next one.</summary>
    [Range(1, 10_000)] public int MessagesPerPoll { get; set; } = 500;

    /// <summary>How much of a message that is kept aside is kept.</summary>
    [Range(1024, 50_000_000)] public int KeepBytes { get; set; } = 1_048_576;

    /// <summary>Kept-aside messages older than this are deleted.</summary>
    [Range(1, 3650)] public int KeepDays { get; set; } = 30;

    /// <summary>At most this many kept-aside messages, the newest.</summary>
    [Range(1, 1_000_000)] public int KeepMessages { get; set; } = 1000;

    public bool UsesImap => !string.IsNullOrWhiteSpace(Imap.Host);
    public bool UsesPop3 => !string.IsNullOrWhiteSpace(Pop3.Host);
    public bool Enabled => UsesImap || UsesPop3;
    public MailboxServer Server => UsesImap ? Imap : Pop3;

    public string? Problem =>
        UsesImap && UsesPop3 ? "Set Bounces:Imap:Host or Bounces:Pop3:Host, not both."
        : Enabled && (string.IsNullOrWhiteSpace(Server.Username) || Server.Password is null)
            ? $"Bounces:{(UsesImap ? "Imap" : "Pop3")} needs Username and Password."
        : PollInterval < TimeSpan.FromSeconds(1) ? "Bounces:PollInterval must be at least a second."
        : null;
}

public sealed class MailboxServer
{
    public string? Host { get; set; }

    /// <summary>Default: 993 (IMAP) or 995 (POP3) over TLS, 143 or 110 with Security=None or StartTls.</summary>
    [Range(1, 65535)] public int? Port { get; set; }

    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>IMAP only.</summary>
    public string Folder { get; set; } = "INBOX";

    [Range(1, 600)] public int TimeoutSeconds { get; set; } = 60;
}

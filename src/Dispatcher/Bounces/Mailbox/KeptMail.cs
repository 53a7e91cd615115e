namespace Dispatcher.Bounces.Mailbox;

/// <summary>Mail from the bounce mailbox that the reader could not use — not a report, about nobody we sent to, or
/// unreadable — kept whole (up to BounceMailboxOptions.KeepBytes) for a person to look at, instead of being lost.</summary>
public sealed class KeptMail
{
    public long Id { get; set; }
    public required string ReportKey { get; set; }
    public required string Reason { get; set; }
    public string? From { get; set; }
    public string? Subject { get; set; }
    public required byte[] Raw { get; set; }
    public bool Truncated { get; set; }
    public DateTime ReceivedAt { get; set; }
}

namespace Dispatcher.Bounces;

public enum BounceKind
{
    Hard = 0,
    Soft = 1,
    Complaint = 2,
}

/// <summary>A relay's or mailbox provider's report that a message did not arrive (hard, soft) or was marked as spam (complaint).</summary>
public sealed class Bounce
{
    public long Id { get; set; }

    /// <summary>Null once the person is erased.</summary>
    public long? SubscriberId { get; set; }

    public long? DeliveryId { get; set; }
    public BounceKind Kind { get; set; }
    public string? Reason { get; set; }

    /// <summary>Where it came from: "api", "relay", "mailbox".</summary>
    public required string Source { get; set; }

    /// <summary>For reports from the bounce mailbox: a hash of the report, so one read twice (a crash between
    /// recording and deleting it, two readers) is recorded once.</summary>
    public string? ReportKey { get; set; }

    public DateTime CreatedAt { get; set; }
}

namespace Dispatcher.Dispatching;

public enum DeliveryStatus
{
    /// <summary>Waiting to be claimed (now, or at RetryAt).</summary>
    Pending = 0,

    /// <summary>Claimed by a worker until LeaseUntil.</summary>
    Sending = 1,
    Sent = 2,
    Failed = 3,
    Bounced = 4,
    Skipped = 5,
}

/// <summary>One person in one dispatch. Claimed with a lease before it is sent and marked with the relay's answer after,
/// so a crash or restart resumes from these rows and never loses or repeats more than what was in flight.</summary>
public sealed class Delivery
{
    public long Id { get; set; }
    public long DispatchId { get; set; }

    /// <summary>Null once the person has been erased; the row stays so the dispatch's counts stay true.</summary>
    public long? SubscriberId { get; set; }

    /// <summary>The list this person gets the message through (its List-Id and unsubscribe link).</summary>
    public int ListId { get; set; }

    public DeliveryStatus Status { get; set; }
    public int Attempts { get; set; }

    /// <summary>Identifies the claim that holds the lease, so a worker whose lease expired cannot overwrite a newer claim.</summary>
    public Guid? ClaimId { get; set; }

    public DateTime? LeaseUntil { get; set; }

    /// <summary>The worker process (WorkerProcess.Id) that claimed it: when that one dies, another takes it without
    /// waiting for LeaseUntil. Left as it was once the row is released or written; only rows Sending are held.</summary>
    public Guid? WorkerId { get; set; }

    /// <summary>When a temporarily failed delivery may be tried again; null when it is queued now.</summary>
    public DateTime? RetryAt { get; set; }

    public DateTime? SentAt { get; set; }

    /// <summary>The relay's last answer (accepted, or why not).</summary>
    public string? RelayResponse { get; set; }

    public static bool IsFinal(DeliveryStatus status) => status >= DeliveryStatus.Sent;
}

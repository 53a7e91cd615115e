using Dispatcher.Mail;

namespace Dispatcher.Dispatching;

public enum DispatchKind
{
    Statement = 0,
    Alert = 1,
    Digest = 2,
    Confirmation = 3,

    /// <summary>A list's welcome email, once a subscription is confirmed.</summary>
    Welcome = 4,
}

public enum DispatchStatus
{
    Queued = 0,
    Sending = 1,
    Paused = 2,
    Cancelled = 3,
    Completed = 4,
}

/// <summary>One send of one thing (a statement, an alert, a digest run, a confirmation) to a set of people.
/// Its Delivery rows say exactly who was sent what; its counters are derived from them.</summary>
public sealed class Dispatch
{
    public long Id { get; set; }
    public DispatchKind Kind { get; set; }
    public DispatchStatus Status { get; set; }
    public Lane Lane { get; set; }
    public long? StatementId { get; set; }
    public long? AlertId { get; set; }

    /// <summary>Digests: which cadence, and the newest statement id they may hold (fixed when the run starts).</summary>
    public Subscribers.Cadence? Cadence { get; set; }

    public long? DigestUpTo { get; set; }

    /// <summary>Number of Delivery rows, set when the dispatch is planned.</summary>
    public int Total { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Set once, by the planner that created the Delivery rows; null means the dispatch still waits for planning.</summary>
    public DateTime? PlannedAt { get; set; }

    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    /// <summary>Last time a worker picked up a batch of this dispatch; the sweeper re-drives dispatches that went quiet.</summary>
    public DateTime? LastActivityAt { get; set; }

    /// <summary>A new dispatch waiting for its planner, on its kind's lane.</summary>
    public static Dispatch Queued(DispatchKind kind, DateTime now) =>
        new() { Kind = kind, Lane = LaneFor(kind), Status = DispatchStatus.Queued, CreatedAt = now };

    public static Lane LaneFor(DispatchKind kind) =>
        kind is DispatchKind.Alert or DispatchKind.Confirmation or DispatchKind.Welcome ? Lane.Urgent : Lane.Bulk;
}

using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Dispatching;

/// <summary>The "Dispatching" section: batch sizes, leases, retries and the sweeper.</summary>
public sealed class DispatchingOptions : IValidatableObject
{
    public const string Section = "Dispatching";

    /// <summary>Deliveries per SendBatch message, claimed together. Large enough that what each claim costs (the bus
    /// message, the claim's statements, the dispatch's status) is small per message (docs/adr/0007). Pausing still takes effect within a quarter of a
    /// second, and a batch writes its outcomes every 100 messages, so a crash repeats no more than with small batches.</summary>
    [Range(1, 10_000)] public int BatchSize { get; set; } = 500;

    /// <summary>How long a claimed delivery is held, unless renewed, before the sweeper gives it to another worker: how
    /// long a worker that died or lost the database keeps its people waiting. A live worker renews it every third.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often each worker writes its heartbeat and looks for workers that stopped writing theirs.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A worker whose heartbeat is this old is dead: a live one takes the deliveries it held at once. A worker
    /// that has not written its own heartbeat for this long less one HeartbeatInterval sends nothing more of what it
    /// holds (it may be declared dead), so at least twice HeartbeatInterval.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan WorkerDeadAfter { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>A dispatch with work left and no batch picked up for this long, in a lane that is idle, is re-driven from the database.</summary>
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A dispatch the API created but no planner took within this time is planned by the sweeper.</summary>
    public TimeSpan PlanGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First retry delay after a temporary failure; doubles each attempt (with jitter) up to RetryMaxDelay.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Attempts before a temporarily failing delivery counts as failed.</summary>
    [Range(1, 100)] public int MaxAttempts { get; set; } = 10;

    /// <summary>After this long since the dispatch started, a temporarily failing delivery counts as failed.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WorkerDeadAfter < 2 * HeartbeatInterval)
            yield return new ValidationResult(
                $"Dispatching:WorkerDeadAfter ({WorkerDeadAfter}) must be at least twice Dispatching:HeartbeatInterval ({HeartbeatInterval}).",
                [nameof(WorkerDeadAfter)]);
    }
}

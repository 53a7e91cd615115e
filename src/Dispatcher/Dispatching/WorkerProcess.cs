namespace Dispatcher.Dispatching;

/// <summary>A worker process as the others see it: alive while its heartbeat is fresh. Deliveries it claims name it
/// (Delivery.WorkerId), so when it stops beating for Dispatching:WorkerDeadAfter a live worker declares it dead and takes
/// its deliveries at once, instead of waiting for their leases to run out.</summary>
public sealed class WorkerProcess
{
    /// <summary>New each time the process starts, and again if it finds it was declared dead (see WorkerLiveness).</summary>
    public Guid Id { get; set; }

    /// <summary>Host and process id, for people reading the history.</summary>
    public required string Name { get; set; }

    public DateTime StartedAt { get; set; }
    public DateTime HeartbeatAt { get; set; }

    /// <summary>When another worker found its heartbeat stale and took what it held.</summary>
    public DateTime? DeclaredDeadAt { get; set; }

    /// <summary>When it stopped cleanly, having given back what it held.</summary>
    public DateTime? StoppedAt { get; set; }
}

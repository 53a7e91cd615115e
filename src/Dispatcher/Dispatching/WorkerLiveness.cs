using System.Diagnostics;
using Dispatcher.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>This process's identity as a worker and whether it knows it is alive. Claims are made under the current
/// identity (<see cref="Current"/>) and may be sent only while <see cref="Holds"/> says so: the heartbeat confirmed the
/// identity less than Dispatching:WorkerDeadAfter minus one HeartbeatInterval ago, on the monotonic clock — so a process
/// that was paused (SIGSTOP, a VM frozen, a very long GC) or cut off from the database stops sending before anyone can
/// have declared it dead and taken its people, and a process that was declared dead never sends what it held then.
/// With the in-memory bus the process is the only worker (nobody else can take its batches while it lives), so a
/// heartbeat held up — SQLite's single writer busy with a big plan — does not stop it; its identity still counts.</summary>
public sealed class WorkerLiveness(IOptions<DispatchingOptions> options, IOptions<DispatcherOptions> dispatcher)
{
    private readonly TimeSpan _sendFor = options.Value.WorkerDeadAfter - options.Value.HeartbeatInterval;
    private readonly bool _alone = dispatcher.Value.Bus == BusKind.InMemory;
    private readonly Lock _lock = new();
    private Guid _current = Guid.NewGuid();
    private long _confirmedAt; // Stopwatch timestamp; 0: never
    private TaskCompletionSource _alive = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static string ProcessName { get; } = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <summary>The identity new claims are made under.</summary>
    public Guid Current
    {
        get
        {
            lock (_lock) return _current;
        }
    }

    /// <summary>Whether what was claimed under <paramref name="workerId"/> may still be sent by this process.</summary>
    public bool Holds(Guid workerId)
    {
        lock (_lock)
            return workerId == _current && Fresh;
    }

    private bool Fresh => _confirmedAt != 0 && (_alone || Stopwatch.GetElapsedTime(_confirmedAt) < _sendFor);

    /// <summary>Until the heartbeat has confirmed this worker: nothing is claimed before the others can see who holds it.</summary>
    public Task WhenAliveAsync(CancellationToken cancellationToken)
    {
        Task alive;
        lock (_lock)
        {
            if (Fresh) return Task.CompletedTask;
            if (_alive.Task.IsCompleted) _alive = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            alive = _alive.Task;
        }
        return alive.WaitAsync(cancellationToken);
    }

    /// <summary>The heartbeat of <paramref name="workerId"/> was written at <paramref name="startedAt"/> (a Stopwatch
    /// timestamp taken before the write).</summary>
    internal void Confirmed(Guid workerId, long startedAt)
    {
        TaskCompletionSource alive;
        lock (_lock)
        {
            if (workerId != _current) return;
            _confirmedAt = startedAt;
            alive = _alive;
        }
        alive.TrySetResult();
    }

    /// <summary>This process was declared dead, or is starting over: what it claimed before is no longer its to send.</summary>
    internal Guid StartOver()
    {
        lock (_lock)
        {
            _current = Guid.NewGuid();
            _confirmedAt = 0;
            return _current;
        }
    }
}

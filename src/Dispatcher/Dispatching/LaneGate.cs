namespace Dispatcher.Dispatching;

/// <summary>Bulk work yields to alerts inside a worker: while an urgent batch is being sent, bulk senders wait before
/// their next message, leaving the CPU, the database and the relay to the alert. (Each lane also has its own queue,
/// consumers and reserved SMTP connections; this makes the bulk lane step aside for the CPU too.)</summary>
public sealed class LaneGate
{
    private readonly Lock _lock = new();
    private int _urgent;
    private TaskCompletionSource _clear = Completed();

    /// <summary>Holds the gate closed to bulk work until disposed.</summary>
    public IDisposable EnterUrgent()
    {
        lock (_lock)
        {
            if (_urgent++ == 0) _clear = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        return new Exit(this);
    }

    public bool UrgentActive => Volatile.Read(ref _urgent) > 0;

    /// <summary>Returns at once when no alert is being sent; otherwise when the last one finishes.</summary>
    public Task WaitForUrgentAsync(CancellationToken cancellationToken)
    {
        Task clear;
        lock (_lock) clear = _clear.Task;
        return clear.IsCompleted ? Task.CompletedTask : clear.WaitAsync(cancellationToken);
    }

    private void Leave()
    {
        lock (_lock)
        {
            if (--_urgent == 0) _clear.TrySetResult();
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }

    private sealed class Exit(LaneGate gate) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) gate.Leave();
        }
    }
}

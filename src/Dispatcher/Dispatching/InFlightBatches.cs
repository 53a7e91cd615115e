using Dispatcher.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>Keeps the process alive at shutdown until every batch being sent has recorded what it sent and given back
/// the rest. RabbitMQ's transport waits for its consumers when it stops; the in-memory one does not, and without this
/// the container would be disposed under a batch that has sent mail but not yet written it down — mail that would go
/// out again once the lease ran out. Registered before the bus, so it stops after it (hosted services stop in reverse).
/// The host's shutdown timeout is the deadline.</summary>
public sealed class InFlightBatches(IHostApplicationLifetime lifetime, IOptions<DispatcherOptions> dispatcher, ILogger<InFlightBatches> logger) : IHostedService
{
    /// <summary>With the in-memory bus, batches stop at the next message once shutdown begins: the queue dies with the
    /// process anyway (its work is re-driven from the database at the next start), so sending on would only make the
    /// shutdown slow. RabbitMQ keeps undelivered work in its queues, and its transport stops the consumers itself.</summary>
    public bool Abandoning => dispatcher.Value.Bus == BusKind.InMemory && lifetime.ApplicationStopping.IsCancellationRequested;

    private readonly Lock _gate = new();
    private int _count;
    private TaskCompletionSource _drained = Drained();

    public Entered Enter()
    {
        lock (_gate)
            if (_count++ == 0) _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new Entered(this);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task drained;
        lock (_gate) drained = _drained.Task;
        try
        {
            await drained.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Stopping with {Count} batches still sending; their deliveries go back to others when their lease runs out", Volatile.Read(ref _count));
        }
    }

    private void Exit()
    {
        lock (_gate)
            if (--_count == 0) _drained.TrySetResult();
    }

    private static TaskCompletionSource Drained()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    public readonly struct Entered(InFlightBatches batches) : IDisposable
    {
        public void Dispose() => batches.Exit();
    }
}

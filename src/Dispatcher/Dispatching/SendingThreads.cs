namespace Dispatcher.Dispatching;

/// <summary>Threads for the batches' blocking send loops, kept for the next batch. A thread of its own per batch
/// (TaskCreationOptions.LongRunning) paid for starting the thread and faulting in a fresh stack every 100 messages
/// (docs/adr/0005). Every piece of work still gets a thread at once — an idle one or a
/// new one, never a queue — because a bulk batch may block until an urgent one has finished. A thread idle for a minute ends.</summary>
public sealed class SendingThreads
{
    private static readonly TimeSpan IdleFor = TimeSpan.FromMinutes(1);
    private readonly Lock _gate = new();
    private readonly List<Worker> _idle = []; // the last one idle is handed work first

    /// <summary>Runs the work on a thread of its own and completes with its result.</summary>
    public Task<T> Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The work's result is handed over only once its thread is idle again, so whoever awaits it and runs more work
        // next finds that thread free, and the threads stay as few as the work needs at once.
        Func<Action> job = () =>
        {
            try
            {
                var result = work();
                return () => done.SetResult(result);
            }
            catch (Exception e)
            {
                return () => done.SetException(e);
            }
        };
        Worker? worker = null;
        lock (_gate)
            if (_idle.Count > 0)
            {
                worker = _idle[^1];
                _idle.RemoveAt(_idle.Count - 1);
            }
        if (worker is not null) worker.Give(job);
        else new Worker(this, job).Start();
        return done.Task;
    }

    private sealed class Worker(SendingThreads threads, Func<Action> first)
    {
        private readonly SemaphoreSlim _signal = new(0);
        private Func<Action>? _next = first;

        public void Start() => new Thread(Loop) { IsBackground = true, Name = "dispatcher-send" }.Start();

        public void Give(Func<Action> job)
        {
            Volatile.Write(ref _next, job);
            _signal.Release();
        }

        private void Loop()
        {
            while (Interlocked.Exchange(ref _next, null) is { } job)
            {
                var handOver = job();
                lock (threads._gate) threads._idle.Add(this);
                handOver();
                if (_signal.Wait(IdleFor)) continue;
                // Still idle: off the list, so that nobody hands it work, and end. Otherwise Run took it just now and
                // its job is on the way.
                lock (threads._gate)
                    if (threads._idle.Remove(this)) return;
                _signal.Wait();
            }
        }
    }
}

namespace Dispatcher.Mail;

/// <summary>The jobs waiting for a connection, by lane. Connections take urgent jobs first and bulk ones only when no
/// urgent job waits; the alert lane's own connections take urgent jobs only. A job given back goes to the front.</summary>
internal sealed class MailQueue
{
    private readonly Lock _lock = new();
    private readonly LinkedList<MailJob>[] _jobs = [new(), new()]; // by Lane: Bulk, Urgent
    private readonly LinkedList<Taker> _takers = [];
    private bool _stopped;

    /// <summary>Jobs waiting (some may have been withdrawn since).</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _jobs[0].Count + _jobs[1].Count;
        }
    }

    public int CountOf(Lane lane)
    {
        lock (_lock) return _jobs[(int)lane].Count;
    }

    public void Add(MailJob job, bool first = false)
    {
        lock (_lock)
        {
            // Straight to a connection that is waiting and may take it, when there is one.
            for (var taker = _takers.First; taker is not null;)
            {
                var next = taker.Next;
                if (!taker.Value.UrgentOnly || job.Lane == Lane.Urgent)
                {
                    _takers.Remove(taker);
                    if (taker.Value.Handed.TrySetResult(job)) return; // else its wait ran out just now
                }
                taker = next;
            }
            if (first) _jobs[(int)job.Lane].AddFirst(job);
            else _jobs[(int)job.Lane].AddLast(job);
        }
    }

    /// <summary>A job ready now, taken; null when none is.</summary>
    public MailJob? TryTake(bool urgentOnly)
    {
        lock (_lock) return TakeLocked(urgentOnly);
    }

    /// <summary>The next job for a connection, waiting up to <paramref name="wait"/> for one; null when none came, or
    /// once the queue is stopped.</summary>
    public async ValueTask<MailJob?> TakeAsync(bool urgentOnly, TimeSpan wait)
    {
        Taker taker;
        LinkedListNode<Taker> node;
        lock (_lock)
        {
            if (_stopped) return null;
            if (TakeLocked(urgentOnly) is { } ready) return ready;
            taker = new Taker(urgentOnly);
            node = _takers.AddLast(taker);
        }
        while (true)
        {
            MailJob? handed;
            try
            {
                handed = await taker.Handed.Task.WaitAsync(wait);
            }
            catch (TimeoutException)
            {
                lock (_lock)
                {
                    if (node.List is not null) _takers.Remove(node);
                }
                // Handed a job just as the wait ran out: it is this connection's.
                if (!taker.Handed.TrySetResult(null)) handed = taker.Handed.Task.Result;
                else return null;
            }
            if (handed is null) return null;
            if (handed.TryTake()) return handed;
            // Withdrawn on its way here: wait for another, on a fresh ticket.
            lock (_lock)
            {
                if (_stopped) return null;
                if (TakeLocked(urgentOnly) is { } ready) return ready;
                taker = new Taker(urgentOnly);
                node = _takers.AddLast(taker);
            }
        }
    }

    /// <summary>Every connection waiting gets nothing, and from now on none waits.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            foreach (var taker in _takers) taker.Handed.TrySetResult(null);
            _takers.Clear();
        }
    }

    /// <summary>Takes every job still waiting (withdrawn ones are dropped): for when nobody can send them.</summary>
    public List<MailJob> TakeAll()
    {
        var all = new List<MailJob>();
        lock (_lock)
            foreach (var lane in _jobs)
            {
                foreach (var job in lane)
                    if (job.TryTake()) all.Add(job);
                lane.Clear();
            }
        return all;
    }

    private MailJob? TakeLocked(bool urgentOnly)
    {
        foreach (var lane in urgentOnly ? [Lane.Urgent] : (Lane[])[Lane.Urgent, Lane.Bulk])
        {
            var jobs = _jobs[(int)lane];
            while (jobs.First is { } first)
            {
                jobs.RemoveFirst();
                if (first.Value.TryTake()) return first.Value; // else withdrawn meanwhile
            }
        }
        return null;
    }

    private sealed class Taker(bool urgentOnly)
    {
        public bool UrgentOnly { get; } = urgentOnly;
        public TaskCompletionSource<MailJob?> Handed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

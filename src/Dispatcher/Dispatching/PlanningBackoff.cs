using System.Collections.Concurrent;

namespace Dispatcher.Dispatching;

/// <summary>Dispatches whose planning failed in this process, and when the sweeper may try each again: after a minute,
/// then every five, so one that cannot be planned neither stops the sweep nor fills the log. One per host.</summary>
public sealed class PlanningBackoff
{
    private readonly ConcurrentDictionary<long, DateTime> _retryAt = new();

    public bool MayTry(long dispatchId, DateTime now) => !_retryAt.TryGetValue(dispatchId, out var at) || at <= now;

    public TimeSpan Failed(long dispatchId, DateTime now)
    {
        var wait = _retryAt.ContainsKey(dispatchId) ? TimeSpan.FromMinutes(5) : TimeSpan.FromMinutes(1);
        _retryAt[dispatchId] = now + wait;
        return wait;
    }

    public void Succeeded(long dispatchId) => _retryAt.TryRemove(dispatchId, out _);
}

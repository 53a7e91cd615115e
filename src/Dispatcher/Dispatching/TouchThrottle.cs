using System.Collections.Concurrent;

namespace Dispatcher.Dispatching;

/// <summary>When this process last wrote each dispatch's LastActivityAt. One per host (a singleton, not a static):
/// hosts sharing a process, as in the tests, have databases of their own with the same dispatch ids.</summary>
public sealed class TouchThrottle
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<long, DateTime> _last = new();

    public bool ShouldTouch(long dispatchId, DateTime now)
    {
        if (_last.TryGetValue(dispatchId, out var last) && now - last < Every) return false;
        if (_last.Count > 1000) _last.Clear(); // finished dispatches are never touched again
        _last[dispatchId] = now;
        return true;
    }
}

using System.Diagnostics;
using Dispatcher.Dispatching;
using Dispatcher.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Dispatching;

/// <summary>What a worker may send, by its own heartbeat: only what it claimed under its current identity, and only
/// while its last confirmed heartbeat is recent enough that nobody can have declared it dead.</summary>
public sealed class WorkerLivenessTests
{
    private static WorkerLiveness Create(BusKind bus) => new(
        Options.Create(new DispatchingOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(100), WorkerDeadAfter = TimeSpan.FromMilliseconds(300) }),
        Options.Create(new DispatcherOptions { Bus = bus }));

    [Fact]
    public async Task Nothing_is_held_before_the_first_heartbeat_and_nothing_once_it_is_stale()
    {
        var liveness = Create(BusKind.RabbitMq);
        var me = liveness.Current;
        Assert.False(liveness.Holds(me));
        var waiting = liveness.WhenAliveAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        liveness.Confirmed(me, Stopwatch.GetTimestamp());
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(liveness.Holds(me));

        // No heartbeat for WorkerDeadAfter less one interval (200 ms): it stops holding on its own.
        var clock = Stopwatch.StartNew();
        while (liveness.Holds(me))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "still holding 5 s after its last heartbeat");
            await Task.Delay(10);
        }
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"stopped holding after {clock.ElapsedMilliseconds} ms");
        Assert.False(liveness.WhenAliveAsync(CancellationToken.None).IsCompleted);
    }

    [Fact]
    public void Declared_dead_it_starts_over_and_never_holds_what_it_claimed_before()
    {
        var liveness = Create(BusKind.RabbitMq);
        var before = liveness.Current;
        liveness.Confirmed(before, Stopwatch.GetTimestamp());

        var after = liveness.StartOver();
        Assert.NotEqual(before, after);
        Assert.False(liveness.Holds(after)); // until its new identity's first heartbeat
        liveness.Confirmed(before, Stopwatch.GetTimestamp()); // a late answer for the old identity changes nothing
        Assert.False(liveness.Holds(after));
        liveness.Confirmed(after, Stopwatch.GetTimestamp());
        Assert.True(liveness.Holds(after));
        Assert.False(liveness.Holds(before));
    }

    [Fact]
    public void With_the_in_memory_bus_a_late_heartbeat_does_not_stop_the_only_worker()
    {
        var liveness = Create(BusKind.InMemory);
        var me = liveness.Current;
        Assert.False(liveness.Holds(me)); // registered first, as with a broker
        liveness.Confirmed(me, Stopwatch.GetTimestamp() - Stopwatch.Frequency * 60); // a minute ago
        Assert.True(liveness.Holds(me));
        Assert.False(liveness.Holds(Guid.NewGuid()));
    }
}

using Dispatcher.Dispatching;

namespace Dispatcher.Tests.Dispatching;

public sealed class SendingThreadsTests
{
    [Fact]
    public async Task Every_piece_of_work_gets_a_thread_at_once_even_while_the_others_block()
    {
        var threads = new SendingThreads();
        const int batches = 12; // more than the thread pool would start at once on two cores
        using var allRunning = new Barrier(batches);

        // Each blocks until all are running, as a bulk batch blocks until an alert's batch is done: a queue would stall.
        var ids = await Task.WhenAll(Enumerable.Range(0, batches).Select(_ => threads.Run(() =>
            allRunning.SignalAndWait(TimeSpan.FromSeconds(20)) ? Environment.CurrentManagedThreadId : -1)));

        Assert.DoesNotContain(-1, ids);
        Assert.Equal(batches, ids.Distinct().Count());
    }

    [Fact]
    public async Task Finished_threads_take_the_next_pieces_of_work()
    {
        var threads = new SendingThreads();
        var ids = new List<int>();
        for (var i = 0; i < 20; i++)
            ids.Add(await threads.Run(() => Environment.CurrentManagedThreadId));

        // One after another: the result is handed over only once its thread is idle again, so the next one finds it.
        Assert.Single(ids.Distinct());
    }

    [Fact]
    public async Task An_exception_reaches_the_caller_and_the_thread_carries_on()
    {
        var threads = new SendingThreads();

        await Assert.ThrowsAsync<InvalidOperationException>(() => threads.Run<int>(() => throw new InvalidOperationException("bug")));
        Assert.Equal(42, await threads.Run(() => 42));
    }
}

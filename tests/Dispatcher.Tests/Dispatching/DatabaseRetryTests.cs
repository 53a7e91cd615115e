using System.Threading.Channels;
using Dispatcher.Dispatching;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Dispatcher.Tests.Dispatching;

/// <summary>What the database retry takes for an outage. EF Core wraps a transient provider error in an
/// InvalidOperationException; not retrying that once left a claim's rows leased to nobody until the lease ran out
/// (DatabaseOutageTests, when the cut fell between a claim's UPDATE and its SELECT).</summary>
public sealed class DatabaseRetryTests
{
    [Fact]
    public async Task A_transient_error_as_ef_core_reports_it_is_retried()
    {
        var calls = 0;
        await DatabaseRetry.Pipeline.ExecuteAsync(_ =>
        {
            if (++calls == 1)
                throw new InvalidOperationException("An exception has been raised that is likely due to a transient failure.",
                    new NpgsqlException("Exception while reading from stream", new IOException("connection reset")));
            return ValueTask.CompletedTask;
        });

        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task Any_other_invalid_operation_is_not_retried()
    {
        var calls = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await DatabaseRetry.Pipeline.ExecuteAsync(_ =>
        {
            calls++;
            throw new InvalidOperationException("Sequence contains no elements");
        }));

        Assert.Equal(1, calls);
    }

    /// <summary>A claim and a batch's outcomes go through <see cref="DatabaseRetry.UntilWritten"/>: an outage of any length is
    /// waited out, tried again at least every 2 s, and the write is made as soon as the database is back — given up, the
    /// outcomes would be sent again once their lease ran out, and the claim's rows would wait for it.</summary>
    [Fact]
    public async Task What_must_be_written_is_retried_through_an_outage_of_any_length_at_least_every_two_seconds()
    {
        var clock = new WaitingClock();
        var outage = TimeSpan.FromMinutes(10); // far past the eight tries an ordinary write gets
        var tries = new List<DateTimeOffset>();
        var writing = DatabaseRetry.UntilWrittenOn(clock).ExecuteAsync(_ =>
        {
            tries.Add(clock.GetUtcNow());
            if (clock.GetUtcNow() - tries[0] < outage) throw new NpgsqlException("refused", new System.Net.Sockets.SocketException(111));
            return ValueTask.CompletedTask;
        }).AsTask();

        await clock.RunAsync(writing);

        Assert.True(tries.Count > 300, $"{tries.Count} tries in ten minutes");
        var waits = tries.Zip(tries.Skip(1), (a, b) => b - a).ToList();
        Assert.InRange(waits.Max(), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        Assert.InRange(tries[^1] - tries[0], outage, outage + TimeSpan.FromSeconds(2)); // written once it was back
    }

    [Fact]
    public async Task What_must_be_written_gives_up_on_an_error_that_is_no_outage_after_the_tries_of_an_ordinary_write()
    {
        var clock = new WaitingClock();
        var calls = 0;
        var writing = DatabaseRetry.UntilWrittenOn(clock).ExecuteAsync(_ =>
        {
            calls++;
            throw new NpgsqlException("a protocol error"); // a database error, but not the server being away
        }).AsTask();

        await Assert.ThrowsAsync<NpgsqlException>(() => clock.RunAsync(writing));
        Assert.Equal(9, calls); // the first try and eight more
    }

    /// <summary>A fake clock that moves on by each wait as soon as the retry starts it, until the work ends.</summary>
    private sealed class WaitingClock : FakeTimeProvider
    {
        private readonly Channel<TimeSpan> _waits = Channel.CreateUnbounded<TimeSpan>();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            _waits.Writer.TryWrite(dueTime);
            return timer;
        }

        public async Task RunAsync(Task work)
        {
            while (!work.IsCompleted)
            {
                var waiting = _waits.Reader.WaitToReadAsync().AsTask();
                await Task.WhenAny(work, waiting).WaitAsync(TimeSpan.FromSeconds(10));
                while (_waits.Reader.TryRead(out var due)) Advance(due);
            }
            await work;
        }
    }
}

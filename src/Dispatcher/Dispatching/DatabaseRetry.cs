using System.Data.Common;
using Dispatcher.Data;
using Polly;
using Polly.Retry;

namespace Dispatcher.Dispatching;

/// <summary>Retries a database write through a short outage (a restart, a fail-over, a full connection pool):
/// exponential back-off with jitter for about a minute, less than a lease, so the rows stay ours meanwhile.</summary>
public static class DatabaseRetry
{
    private const int Attempts = 8;

    public static ResiliencePipeline Pipeline { get; } = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsDatabaseError),
            MaxRetryAttempts = Attempts,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(15),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    /// <summary>For what must not be forgotten: the outcomes of messages a relay has taken, which alone say who has been
    /// sent what, and a claim whose rows the server may have taken. Through an outage of any length
    /// (<see cref="DatabaseOutage"/>) as long as the process lives — given up, outcomes would be sent again once their
    /// lease ran out, and a claim's rows would wait for it — tried at least every 2 s, so they are written as soon as the
    /// database is back. Other errors as <see cref="Pipeline"/>.</summary>
    public static ResiliencePipeline UntilWritten { get; } = UntilWrittenOn(TimeProvider.System);

    /// <summary><see cref="UntilWritten"/>, its waits on <paramref name="clock"/>.</summary>
    internal static ResiliencePipeline UntilWrittenOn(TimeProvider clock) => new ResiliencePipelineBuilder { TimeProvider = clock }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e
                && (DatabaseOutage.Is(e) || (args.AttemptNumber < Attempts && IsDatabaseError(e)))),
            MaxRetryAttempts = int.MaxValue,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();

    private static bool IsDatabaseError(Exception e) =>
        e is DbException or TimeoutException
        // How EF Core reports a transient provider error (a connection cut, a database not accepting connections):
        // "likely due to a transient failure", with the provider's exception inside.
        || e is InvalidOperationException { InnerException: DbException or TimeoutException };
}

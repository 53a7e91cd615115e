using System.Data.Common;
using Polly;
using Polly.Retry;

namespace Dispatcher.Dispatching;

/// <summary>Retries a database write through a short outage (a restart, a fail-over, a full connection pool):
/// exponential back-off with jitter for about a minute, less than a lease, so the rows stay ours meanwhile.</summary>
public static class DatabaseRetry
{
    public static ResiliencePipeline Pipeline { get; } = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<DbException>().Handle<TimeoutException>()
                // How EF Core reports a transient provider error (a connection cut, a database not accepting
                // connections): "likely due to a transient failure", with the provider's exception inside.
                .Handle<InvalidOperationException>(e => e.InnerException is DbException or TimeoutException),
            MaxRetryAttempts = 8,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(15),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .Build();
}

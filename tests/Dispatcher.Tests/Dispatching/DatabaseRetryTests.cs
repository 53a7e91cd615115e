using Dispatcher.Dispatching;
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
}

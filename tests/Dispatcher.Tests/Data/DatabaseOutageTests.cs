using Dispatcher.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Dispatcher.Tests.Data;

/// <summary>What is the database being away (a 503 and a retry) and what is a fault (a 500 and a log with the stack).</summary>
public sealed class DatabaseOutageTests
{
    private static PostgresException Postgres(string sqlState) => new("message", "FATAL", "FATAL", sqlState);

    [Theory]
    [InlineData("53300")] // too many clients already
    [InlineData("57P01")] // terminated by an administrator (a fail-over)
    [InlineData("55000")] // database not accepting connections
    [InlineData("08006")] // connection failure
    public void The_server_out_of_reach_or_full_is_an_outage(string sqlState)
    {
        Assert.True(DatabaseOutage.Is(Postgres(sqlState)));
        // as EF Core reports it: wrapped once or twice
        Assert.True(DatabaseOutage.Is(new DbUpdateException("saving", new InvalidOperationException("transient", Postgres(sqlState)))));
    }

    [Theory]
    [InlineData("23505")] // unique violation
    [InlineData("42P01")] // no such table
    [InlineData("22001")] // value too long
    public void A_fault_in_the_request_or_the_code_is_not(string sqlState) => Assert.False(DatabaseOutage.Is(Postgres(sqlState)));

    [Fact]
    public void Connections_refused_timed_out_or_busy_are_outages_and_other_errors_are_not()
    {
        Assert.True(DatabaseOutage.Is(new NpgsqlException("refused", new System.Net.Sockets.SocketException(111))));
        Assert.True(DatabaseOutage.Is(new NpgsqlException("The connection pool has been exhausted", new TimeoutException())));
        Assert.True(DatabaseOutage.Is(new SqliteException("database is locked", 5)));
        Assert.False(DatabaseOutage.Is(new SqliteException("constraint failed", 19)));
        Assert.False(DatabaseOutage.Is(new InvalidOperationException("Sequence contains more than one element")));
        Assert.False(DatabaseOutage.Is(new System.Text.RegularExpressions.RegexMatchTimeoutException())); // a timeout, not the database's
        Assert.False(DatabaseOutage.Is(null));
    }
}

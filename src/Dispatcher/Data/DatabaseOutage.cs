using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dispatcher.Data;

/// <summary>Whether an exception means the database is away or full for now — a restart, a fail-over, no free
/// connection slot, a database closed to connections, SQLite busy — rather than a fault in the request or the code.
/// EF Core and Polly wrap the provider's exception, so the whole chain is looked at.</summary>
public static class DatabaseOutage
{
    /// <summary>What a request refused for an outage is told to wait: about a restart or a fail-over.</summary>
    public const string RetryAfterSeconds = "30";

    /// <summary>The title of every answer refused for an outage, API or page.</summary>
    public const string Title = "The database is not available just now.";

    public static bool Is(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
            // Npgsql's transient errors include a refused or cut connection, a command or pool timeout, no free slot.
            if (e is NpgsqlException { IsTransient: true }
                // 55000: a database closed to connections (ALLOW_CONNECTIONS false, maintenance); 57P03: starting up.
                or PostgresException { SqlState: "55000" or "57P03" }
                // SQLITE_BUSY, SQLITE_LOCKED: another process holds the file longer than the busy timeout.
                or SqliteException { SqliteErrorCode: 5 or 6 })
                return true;
        return false;
    }
}

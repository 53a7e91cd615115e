using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Dispatcher.Data;

/// <summary>Per-connection SQLite settings. In WAL mode, synchronous=NORMAL makes a commit durable against a crash
/// of the process without an fsync each time (only a power cut can lose the last commits — at worst a few
/// deliveries are sent again, which the Message-ID makes recognisable); with FULL, every recorded batch cost an fsync.</summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    public static readonly SqlitePragmas Instance = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
        command.ExecuteNonQuery();
    }
}

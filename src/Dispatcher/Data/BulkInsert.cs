using System.Data.Common;
using System.Text;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dispatcher.Data;

/// <summary>Fast inserts for imports, in the caller's transaction, instead of one entity at a time through the change
/// tracker, which is too slow for a 100,000-row import (docs/performance.md). PostgreSQL gets multi-row INSERTs;
/// SQLite one prepared single-row INSERT run again per row, which is its fastest way (it looks parameter names up
/// linearly, so a statement with thousands of parameters is quadratic).</summary>
public static class BulkInsert
{
    private const int RowsPerStatement = 500;

    /// <summary>Inserts people and returns their new ids by address.</summary>
    public sealed record NewSubscriber(string Email, string? Name, string? Language, string? TimeZone, string AttributesJson);

    public static async Task<Dictionary<string, long>> SubscribersAsync(DispatcherDb db, IReadOnlyList<NewSubscriber> people,
        DateTime now, CancellationToken cancellationToken)
    {
        var ids = new Dictionary<string, long>(people.Count, StringComparer.Ordinal);
        await InsertAsync(db, "subscribers", ["email", "name", "created_at", "language", "time_zone", "attributes"], people,
            p => [p.Email, p.Name, now, p.Language, p.TimeZone, p.AttributesJson], "id, email",
            reader => ids[reader.GetString(1)] = reader.GetInt64(0), cancellationToken);
        return ids;
    }

    public static Task SubscriptionsAsync(DispatcherDb db, IReadOnlyList<Subscription> subscriptions, CancellationToken cancellationToken) =>
        InsertAsync(db, "subscriptions",
            ["subscriber_id", "list_id", "status", "cadence", "alerts", "created_at", "updated_at", "confirmed_at", "confirmation_sent_at", "digest_cursor"],
            subscriptions,
            s => [s.SubscriberId, s.ListId, (int)s.Status, (int)s.Cadence, s.Alerts, s.CreatedAt, s.UpdatedAt, s.ConfirmedAt, s.ConfirmationSentAt, s.DigestCursor],
            returning: null, read: null, cancellationToken);

    private static async Task InsertAsync<T>(DispatcherDb db, string table, string[] columns, IReadOnlyList<T> rows, Func<T, object?[]> values,
        string? returning, Action<DbDataReader>? read, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        var suffix = returning is null ? "" : $" RETURNING {returning}";
        var insert = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ";

        if (!db.IsPostgres)
        {
            await using var command = Command(db);
            command.CommandText = insert + $"({string.Join(", ", columns.Select((_, i) => Parameter(command, i)))}){suffix}";
            foreach (var row in rows)
            {
                var rowValues = values(row);
                for (var i = 0; i < rowValues.Length; i++) command.Parameters[i].Value = rowValues[i] ?? DBNull.Value;
                await ExecuteAsync(command, read, cancellationToken);
            }
            return;
        }

        foreach (var chunk in rows.Chunk(RowsPerStatement))
        {
            await using var command = Command(db);
            var sql = new StringBuilder(insert);
            for (var r = 0; r < chunk.Length; r++)
            {
                var rowValues = values(chunk[r]);
                sql.Append(r == 0 ? "(" : ",(");
                for (var i = 0; i < rowValues.Length; i++)
                {
                    var name = Parameter(command, command.Parameters.Count);
                    command.Parameters[^1].Value = rowValues[i] ?? DBNull.Value;
                    sql.Append(i == 0 ? name : $", {name}");
                }
                sql.Append(')');
            }
            command.CommandText = sql.Append(suffix).ToString();
            await ExecuteAsync(command, read, cancellationToken);
        }
    }

    private static async Task ExecuteAsync(DbCommand command, Action<DbDataReader>? read, CancellationToken cancellationToken)
    {
        if (read is null)
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            return;
        }
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) read(reader);
    }

    private static DbCommand Command(DispatcherDb db)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction()
                              ?? throw new InvalidOperationException("Bulk inserts run inside the caller's transaction.");
        return command;
    }

    private static string Parameter(DbCommand command, int index)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = $"@p{index}";
        command.Parameters.Add(parameter);
        return parameter.ParameterName;
    }
}

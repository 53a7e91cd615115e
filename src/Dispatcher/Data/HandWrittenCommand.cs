using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace Dispatcher.Data;

/// <summary>A SQL command written by hand, for the few statements a sender runs for every batch, where EF's translation
/// (caching and comparing the expression tree, materialising through its shaper) cost more than the database did.
/// Runs on the context's connection and transaction; parameters are made by EF's own type mappings, so ids, dates and
/// GUIDs are written exactly as EF writes them on either database. The SQL must work on SQLite and PostgreSQL alike.</summary>
public sealed class HandWrittenCommand : IAsyncDisposable
{
    private readonly DispatcherDb _db;
    private readonly DbCommand _command;
    private readonly IRelationalTypeMappingSource _mappings;
    private readonly string _prefix;
    private int _index;

    private HandWrittenCommand(DispatcherDb db)
    {
        _db = db;
        _command = db.Database.GetDbConnection().CreateCommand();
        _command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        _mappings = db.GetService<IRelationalTypeMappingSource>();
        _prefix = db.IsPostgres ? "@" : "$";
    }

    /// <summary>Opens the context's connection for the command and closes it when the command is disposed. Opens are
    /// counted, so a connection already open (kept for a batch, or holding a transaction) stays open.</summary>
    public static async Task<HandWrittenCommand> OpenAsync(DispatcherDb db, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        return new HandWrittenCommand(db);
    }

    /// <summary>Adds a parameter and returns its name, to put in the SQL.</summary>
    public string Add<T>(T value)
    {
        var name = $"{_prefix}p{_index++}";
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        _command.Parameters.Add(_mappings.FindMapping(type)!.CreateParameter(_command, name, value, nullable: true));
        return name;
    }

    public DbCommand Sql(string text)
    {
        _command.CommandText = text;
        return _command;
    }

    public async ValueTask DisposeAsync()
    {
        await _command.DisposeAsync();
        await _db.Database.CloseConnectionAsync();
    }
}

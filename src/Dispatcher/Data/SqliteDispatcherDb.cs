using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Dispatcher.Data;

public sealed class SqliteDispatcherDb(DbContextOptions<SqliteDispatcherDb> options) : DispatcherDb(options)
{
    public override bool IsPostgres => false;

    /// <summary>EF opens and closes the connection around each statement, and every open registers EF's SQL functions
    /// again (`sqlite3_create_function`), a noticeable share of a fan-out's CPU.</summary>
    public override Task KeepConnectionOpenAsync(CancellationToken cancellationToken) => Database.OpenConnectionAsync(cancellationToken);

    protected override void ConfigureConventions(ModelConfigurationBuilder conventions)
    {
        // SQLite keeps no time zone: every timestamp we write is UTC, so read it back as UTC.
        conventions.Properties<DateTime>().HaveConversion<UtcConverter>();
        conventions.Properties<DateTime?>().HaveConversion<UtcConverter>();
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

using Dispatcher.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Dispatcher.Data;

/// <summary>The folder of the SQLite database, where a single-machine installation keeps its other secret files too;
/// null on PostgreSQL.</summary>
public sealed record DataFolder(string? Folder);

public static class DataExtensions
{
    public const string DefaultSqlite = "Data Source=data/dispatcher.db";

    /// <summary>Registers <see cref="DispatcherDb"/> on SQLite (default) or PostgreSQL (Dispatcher:Database=Postgres).</summary>
    public static WebApplicationBuilder AddDispatcherData(this WebApplicationBuilder builder)
    {
        var database = builder.Configuration.GetValue($"{DispatcherOptions.Section}:Database", DatabaseKind.Sqlite);
        var connectionString = builder.Configuration.GetConnectionString("Dispatcher");

        if (database == DatabaseKind.Postgres)
        {
            builder.Services.AddSingleton(new DataFolder(null));
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new StartupProblem("ConnectionStrings:Dispatcher must name a PostgreSQL database when Dispatcher:Database=Postgres.");
            builder.Services.AddDbContext<DispatcherDb, PostgresDispatcherDb>(o => o
                .UseNpgsql(WithAutoPrepare(connectionString))
                .UseSnakeCaseNamingConvention());
        }
        else
        {
            var sqlite = ResolveSqlite(connectionString ?? DefaultSqlite);
            builder.Services.AddSingleton(new DataFolder(SqliteFolder(sqlite)));
            builder.Services.AddDbContext<DispatcherDb, SqliteDispatcherDb>(o => o
                .UseSqlite(sqlite)
                .UseSnakeCaseNamingConvention()
                .AddInterceptors(SqlitePragmas.Instance)
                // EF rebuilds SQLite tables with foreign keys switched off around the rebuild, which SQLite only allows
                // outside a transaction; EF generates that itself (DeliveriesWithoutForeignKeys), and says so at every
                // fresh start. Nothing to act on.
                .ConfigureWarnings(w => w.Ignore(Microsoft.EntityFrameworkCore.Diagnostics.RelationalEventId.NonTransactionalMigrationOperationWarning)));
        }

        builder.Services.AddScoped<InstallationSecrets>();
        return builder;
    }

    /// <summary>Statements a sender repeats for every batch and every 100 outcomes are parsed and planned once per
    /// connection instead of every time (Npgsql keeps them across the pool's reuse of a connection; docs/adr/0002). A connection
    /// string that sets Max Auto Prepare itself (0 turns it off: some poolers in transaction mode cannot keep prepared
    /// statements) is left as it is.</summary>
    public static string WithAutoPrepare(string connectionString)
    {
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (given.Keys.Cast<string>().Any(key => key.Replace(" ", "").Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase)))
            return connectionString;
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = AutoPrepared }.ConnectionString;
    }

    /// <summary>Enough for every statement a worker repeats (claim, outcome writes, status checks, EF's few queries).</summary>
    public const int AutoPrepared = 50;

    /// <summary>Makes a relative SQLite file path absolute (working directory first) and creates its folder (0700): the
    /// database holds the signing key, the suppression salt and password hashes.</summary>
    public static string ResolveSqlite(string connectionString)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        if (csb.DataSource is { Length: > 0 } file && file != ":memory:" && csb.Mode != SqliteOpenMode.Memory)
            csb.DataSource = ContentPaths.ResolveWritable(file, "ConnectionStrings:Dispatcher");
        return csb.ToString();
    }

    /// <summary>Before SQLite opens it (after every setting was checked): the database file is created 0600 when
    /// missing, and other users' access to an existing one and its journals is taken away.</summary>
    private static void MakeSqliteFilePrivate(string connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        if (string.IsNullOrEmpty(file) || file == ":memory:") return;
        PrivateFiles.CreateEmptyFile(file);
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" }) PrivateFiles.Tighten(file + suffix);
    }

    /// <summary>The data folder registered by <see cref="AddDispatcherData"/> (null on PostgreSQL).</summary>
    public static string? DataFolder(this WebApplicationBuilder builder) =>
        (builder.Services.LastOrDefault(d => d.ServiceType == typeof(DataFolder))?.ImplementationInstance as DataFolder)?.Folder;

    private static string? SqliteFolder(string connectionString)
    {
        var file = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return string.IsNullOrEmpty(file) || file == ":memory:" ? null : Path.GetDirectoryName(file);
    }

    /// <summary>Applies migrations (waiting for a database that is still starting) and sets SQLite's journal mode.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var logger = scope.ServiceProvider.GetRequiredService<ILogger<DispatcherDb>>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        if (!db.IsPostgres) MakeSqliteFilePrivate(db.Database.GetConnectionString()!);
        while (true)
        {
            try
            {
                if (!db.IsPostgres)
                    // WAL lets readers (the API) work while a worker writes; it is a property of the file, set once.
                    await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
                // EF reads its history table before it creates it, and logs the failed read of a fresh database as an
                // error (dotnet/efcore#37328); creating it first, with EF's own script, leaves nothing to fail.
                await db.Database.ExecuteSqlRawAsync(db.GetService<Microsoft.EntityFrameworkCore.Migrations.IHistoryRepository>().GetCreateIfNotExistsScript(), cancellationToken);
                await db.Database.MigrateAsync(cancellationToken);
                return;
            }
            catch (Exception e) when (DateTime.UtcNow < deadline && DatabaseOutage.Is(e))
            {
                logger.LogWarning("Database not reachable yet ({Message}); retrying", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }
}

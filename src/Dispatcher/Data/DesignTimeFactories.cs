using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Dispatcher.Data;

// Used only by `dotnet ef migrations add … --context SqliteDispatcherDb|PostgresDispatcherDb` (see CONTRIBUTING.md).

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteDispatcherDb>
{
    public SqliteDispatcherDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteDispatcherDb>()
            .UseSqlite("Data Source=design-time.db")
            .UseSnakeCaseNamingConvention()
            .Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresDispatcherDb>
{
    public PostgresDispatcherDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresDispatcherDb>()
            .UseNpgsql("Host=localhost;Database=dispatcher_design")
            .UseSnakeCaseNamingConvention()
            .Options);
}

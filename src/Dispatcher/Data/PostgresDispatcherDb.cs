using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Data;

public sealed class PostgresDispatcherDb(DbContextOptions<PostgresDispatcherDb> options) : DispatcherDb(options)
{
    public override bool IsPostgres => true;
}

using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Data;

public sealed class PostgresDispatcherDb(DbContextOptions<PostgresDispatcherDb> options) : DispatcherDb(options)
{
    public override bool IsPostgres => true;

    // KeepConnectionOpenAsync stays a no-op: connections come from Npgsql's pool cheaply, and one held open would not be
    // replaced after a database outage.
}

using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Data;

/// <summary>The time by the database server: the one clock every process that shares the database shares. For what
/// workers on different machines compare at a few seconds' grain (heartbeats), where a machine whose clock is off by
/// more than that would be taken for dead while it sends, or not be noticed when it dies.</summary>
public static class DatabaseClock
{
    /// <summary>PostgreSQL's <c>now()</c>; on SQLite, which only processes of one machine share, the process's clock.</summary>
    public static async Task<DateTime> NowAsync(DispatcherDb db, TimeProvider clock, CancellationToken cancellationToken) =>
        db.Database.IsNpgsql()
            ? DateTime.SpecifyKind(await db.Database.SqlQuery<DateTime>($"SELECT now() AS \"Value\"").SingleAsync(cancellationToken), DateTimeKind.Utc)
            : clock.GetUtcNow().UtcDateTime;
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Hosting;
using Dispatcher.Statements;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Digests;

/// <summary>A digest goes to every confirmed subscriber with that cadence who has, on at least one of their lists of
/// that cadence, a statement newer than their own cursor (and no newer than the run's upper bound): each person once.
/// Someone with nothing new gets no email. A local-time run takes only the readers of its zone who have had no digest
/// of this cadence for its local date yet (and joined before it was due), and records the date for each in the same
/// transaction: one digest per reader per date, whatever the clocks did or their zone changed to.</summary>
public sealed class DigestDeliveryPlan(TimeProvider clock, IOptions<DigestOptions> options, IOptions<DispatcherOptions> readers) : IDeliveryPlan
{
    public DispatchKind Kind => DispatchKind.Digest;

    public async Task<int> InsertDeliveriesAsync(DispatcherDb db, Dispatch dispatch, CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow().UtcDateTime - options.Value.MaxAge;
        var cadence = dispatch.Cadence!.Value;
        var run = await db.DigestRuns.AsNoTracking().SingleOrDefaultAsync(r => r.DispatchId == dispatch.Id, cancellationToken);
        // The column of the reader's last local date: one of two fixed names, never a value.
        var dateColumn = cadence == Cadence.Weekly ? "weekly_digest_on" : "daily_digest_on";

        // A statement with an audience counts only for the people in it (a few statements have one: a condition each).
        var withAudience = await db.Statements.AsNoTracking()
            .Where(st => st.Id <= dispatch.DigestUpTo!.Value && st.CreatedAt >= since && st.AudienceJson != null)
            .Select(st => new { st.Id, st.AudienceJson }).ToListAsync(cancellationToken);
        var insert = new SqlText()
            .Append("INSERT INTO deliveries (dispatch_id, subscriber_id, list_id, status, attempts) SELECT ").Parameter(dispatch.Id)
            .Append(", s.subscriber_id, MIN(s.list_id), ").Parameter((int)DeliveryStatus.Pending).Append(", 0 FROM subscriptions s ");
        // The reader's row: for a local-time run's zone and date, and for statements with an audience (below).
        if (run is { LocalDate: not null } || withAudience.Count > 0) insert.Append("JOIN subscribers p ON p.id = s.subscriber_id ");
        insert.Append("WHERE s.status = ").Parameter((int)SubscriptionStatus.Confirmed)
            .Append(" AND s.cadence = ").Parameter((int)cadence);
        if (run is { LocalDate: { } localDate })
            insert.Append(" AND COALESCE(p.time_zone, ").Parameter(readers.Value.TimeZone).Append(") = ").Parameter(run.TimeZone)
                .Append($" AND (p.{dateColumn} IS NULL OR p.{dateColumn} < ").Parameter(localDate).Append(")")
                .Append(" AND s.created_at <= ").Parameter(run.Period);
        insert.Append(" AND EXISTS (SELECT 1 FROM statement_lists sl JOIN statements st ON st.id = sl.statement_id")
            .Append(" WHERE sl.list_id = s.list_id AND sl.statement_id > s.digest_cursor")
            .Append(" AND sl.statement_id <= ").Parameter(dispatch.DigestUpTo!.Value)
            .Append(" AND st.distribution <> ").Parameter((int)Distribution.Archive)
            .Append(" AND st.created_at >= ").Parameter(since);
        if (withAudience.Count > 0)
        {
            insert.Append(" AND (st.audience IS NULL");
            foreach (var statement in withAudience)
                insert.Append(" OR (st.id = ").Parameter(statement.Id).Append(Audience.FromJson(statement.AudienceJson).Condition("p", db.IsPostgres)).Append(")");
            insert.Append(")");
        }
        insert.Append(") GROUP BY s.subscriber_id");
        var planned = await db.Database.ExecuteSqlRawAsync(insert.Sql, insert.Parameters, cancellationToken);

        if (planned > 0 && run is { LocalDate: { } date })
        {
            var record = new SqlText().Append($"UPDATE subscribers SET {dateColumn} = ").Parameter(date)
                .Append(" WHERE id IN (SELECT subscriber_id FROM deliveries WHERE dispatch_id = ").Parameter(dispatch.Id).Append(")");
            await db.Database.ExecuteSqlRawAsync(record.Sql, record.Parameters, cancellationToken);
        }
        return planned;
    }
}

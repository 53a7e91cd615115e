using Dispatcher.Data;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Alerts;

/// <summary>Who an alert goes to — every confirmed subscriber of its lists who has alerts on and is in its audience, each
/// person once (with the first of their lists) — as one SQL query that planning inserts from and the count and sample an
/// approver sees read from, so what they are shown is what is sent.</summary>
public static class AlertRecipients
{
    /// <summary>SELECT subscriber_id, list_id of the alert's people.</summary>
    public static SqlText Select(DispatcherDb db, long alertId, Audience audience)
    {
        var sql = new SqlText().Append("SELECT s.subscriber_id AS subscriber_id, MIN(s.list_id) AS list_id FROM subscriptions s ")
            .Append("JOIN alert_lists al ON al.list_id = s.list_id ");
        if (!audience.IsEveryone) sql.Append("JOIN subscribers p ON p.id = s.subscriber_id ");
        sql.Append("WHERE al.alert_id = ").Parameter(alertId)
            .Append(" AND s.status = ").Parameter((int)SubscriptionStatus.Confirmed)
            .Append(" AND s.alerts = ").Parameter(true)
            .Append(audience.Condition("p", db.IsPostgres))
            .Append(" GROUP BY s.subscriber_id");
        return sql;
    }

    /// <summary>The alert's audience, for planning (everyone when the alert is gone).</summary>
    public static async Task<Audience> AudienceOfAsync(DispatcherDb db, long? alertId, CancellationToken cancellationToken) =>
        Audience.FromJson(await db.Alerts.Where(a => a.Id == alertId).Select(a => a.AudienceJson).SingleOrDefaultAsync(cancellationToken));

    public static Task<int> CountAsync(DispatcherDb db, Alert alert, CancellationToken cancellationToken)
    {
        var sql = new SqlText().Append("SELECT COUNT(*) AS \"Value\" FROM (").Append(Select(db, alert.Id, alert.Audience)).Append(") r");
        return db.Database.SqlQueryRaw<int>(sql.Sql, sql.Parameters).SingleAsync(cancellationToken);
    }

    /// <summary>Up to <paramref name="count"/> of their addresses, the same ones each time.</summary>
    public static Task<List<string>> SampleAsync(DispatcherDb db, Alert alert, int count, CancellationToken cancellationToken)
    {
        var sql = new SqlText().Append("SELECT p2.email AS \"Value\" FROM (").Append(Select(db, alert.Id, alert.Audience))
            .Append(") r JOIN subscribers p2 ON p2.id = r.subscriber_id WHERE p2.email IS NOT NULL ORDER BY r.subscriber_id LIMIT ").Parameter(count);
        return db.Database.SqlQueryRaw<string>(sql.Sql, sql.Parameters).ToListAsync(cancellationToken);
    }
}

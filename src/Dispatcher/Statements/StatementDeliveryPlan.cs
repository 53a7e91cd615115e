using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Statements;

/// <summary>A statement goes at once to every confirmed subscriber of its lists who chose "immediate" and is in its
/// audience; each person once, through the first of their lists (daily and weekly people get it in their digest).</summary>
public sealed class StatementDeliveryPlan : IDeliveryPlan
{
    public DispatchKind Kind => DispatchKind.Statement;

    public async Task<int> InsertDeliveriesAsync(DispatcherDb db, Dispatch dispatch, CancellationToken cancellationToken)
    {
        var audience = await AudienceOfAsync(db, dispatch.StatementId, cancellationToken);
        var sql = new SqlText()
            .Append("INSERT INTO deliveries (dispatch_id, subscriber_id, list_id, status, attempts) SELECT ").Parameter(dispatch.Id)
            .Append(", s.subscriber_id, MIN(s.list_id), ").Parameter((int)DeliveryStatus.Pending).Append(", 0 FROM subscriptions s")
            .Append(" JOIN statement_lists sl ON sl.list_id = s.list_id");
        if (!audience.IsEveryone) sql.Append(" JOIN subscribers p ON p.id = s.subscriber_id");
        sql.Append(" WHERE sl.statement_id = ").Parameter(dispatch.StatementId ?? 0)
            .Append(" AND s.status = ").Parameter((int)SubscriptionStatus.Confirmed)
            .Append(" AND s.cadence = ").Parameter((int)Cadence.Immediate)
            .Append(audience.Condition("p", db.IsPostgres))
            .Append(" GROUP BY s.subscriber_id");
        return await db.Database.ExecuteSqlRawAsync(sql.Sql, sql.Parameters, cancellationToken);
    }

    /// <summary>The statement's audience (everyone when it is gone); also run by the warm-up, against statement 0.</summary>
    internal static async Task<Audience> AudienceOfAsync(DispatcherDb db, long? statementId, CancellationToken cancellationToken) =>
        Audience.FromJson(await db.Statements.Where(s => s.Id == statementId).Select(s => s.AudienceJson).SingleOrDefaultAsync(cancellationToken));
}

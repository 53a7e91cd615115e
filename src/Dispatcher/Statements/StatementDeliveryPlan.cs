using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Statements;

/// <summary>A statement goes at once to every confirmed subscriber of its lists who chose "immediate"; each person
/// once, through the first of their lists (daily and weekly people get it in their digest).</summary>
public sealed class StatementDeliveryPlan : IDeliveryPlan
{
    public DispatchKind Kind => DispatchKind.Statement;

    public Task<int> InsertDeliveriesAsync(DispatcherDb db, Dispatch dispatch, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO deliveries (dispatch_id, subscriber_id, list_id, status, attempts)
            SELECT {dispatch.Id}, s.subscriber_id, MIN(s.list_id), {(int)DeliveryStatus.Pending}, 0
            FROM subscriptions s
            JOIN statement_lists sl ON sl.list_id = s.list_id
            WHERE sl.statement_id = {dispatch.StatementId}
              AND s.status = {(int)SubscriptionStatus.Confirmed}
              AND s.cadence = {(int)Cadence.Immediate}
            GROUP BY s.subscriber_id
            """, cancellationToken);
}

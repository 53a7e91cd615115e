using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Statements;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Digests;

/// <summary>A digest goes to every confirmed subscriber with that cadence who has, on at least one of their lists of
/// that cadence, a statement newer than their own cursor (and no newer than the run's upper bound): each person once.
/// Someone with nothing new gets no email.</summary>
public sealed class DigestDeliveryPlan(TimeProvider clock, IOptions<DigestOptions> options) : IDeliveryPlan
{
    public DispatchKind Kind => DispatchKind.Digest;

    public Task<int> InsertDeliveriesAsync(DispatcherDb db, Dispatch dispatch, CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow().UtcDateTime - options.Value.MaxAge;
        return db.Database.ExecuteSqlAsync($"""
            INSERT INTO deliveries (dispatch_id, subscriber_id, list_id, status, attempts)
            SELECT {dispatch.Id}, s.subscriber_id, MIN(s.list_id), {(int)DeliveryStatus.Pending}, 0
            FROM subscriptions s
            WHERE s.status = {(int)SubscriptionStatus.Confirmed}
              AND s.cadence = {(int)dispatch.Cadence!.Value}
              AND EXISTS (
                SELECT 1 FROM statement_lists sl
                JOIN statements st ON st.id = sl.statement_id
                WHERE sl.list_id = s.list_id
                  AND sl.statement_id > s.digest_cursor
                  AND sl.statement_id <= {dispatch.DigestUpTo!.Value}
                  AND st.distribution <> {(int)Distribution.Archive}
                  AND st.created_at >= {since})
            GROUP BY s.subscriber_id
            """, cancellationToken);
    }
}

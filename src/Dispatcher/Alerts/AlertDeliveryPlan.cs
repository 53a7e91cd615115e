using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Alerts;

/// <summary>An alert goes to every confirmed subscriber of its lists who has alerts on, whatever their digest
/// cadence, each person once.</summary>
public sealed class AlertDeliveryPlan : IDeliveryPlan
{
    public DispatchKind Kind => DispatchKind.Alert;

    public Task<int> InsertDeliveriesAsync(DispatcherDb db, Dispatch dispatch, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"""
            INSERT INTO deliveries (dispatch_id, subscriber_id, list_id, status, attempts)
            SELECT {dispatch.Id}, s.subscriber_id, MIN(s.list_id), {(int)DeliveryStatus.Pending}, 0
            FROM subscriptions s
            JOIN alert_lists al ON al.list_id = s.list_id
            WHERE al.alert_id = {dispatch.AlertId}
              AND s.status = {(int)SubscriptionStatus.Confirmed}
              AND s.alerts = {true}
            GROUP BY s.subscriber_id
            """, cancellationToken);
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Alerts;

/// <summary>An alert goes to the people <see cref="AlertRecipients"/> names.</summary>
public sealed class AlertDeliveryPlan : IDeliveryPlan
{
    public DispatchKind Kind => DispatchKind.Alert;

    public async Task<int> InsertDeliveriesAsync(DispatcherDb db, Dispatch dispatch, CancellationToken cancellationToken)
    {
        var audience = await AlertRecipients.AudienceOfAsync(db, dispatch.AlertId, cancellationToken);
        var sql = new SqlText().Append("INSERT INTO deliveries (dispatch_id, subscriber_id, list_id, status, attempts) SELECT ")
            .Parameter(dispatch.Id).Append(", r.subscriber_id, r.list_id, ").Parameter((int)DeliveryStatus.Pending).Append(", 0 FROM (")
            .Append(AlertRecipients.Select(db, dispatch.AlertId ?? 0, audience)).Append(") r");
        return await db.Database.ExecuteSqlRawAsync(sql.Sql, sql.Parameters, cancellationToken);
    }
}

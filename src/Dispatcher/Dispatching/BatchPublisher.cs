using Dispatcher.Data;
using Dispatcher.Mail;
using Dispatcher.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>Turns a dispatch's claimable Delivery rows into SendBatch messages on its lane: after planning, on resume,
/// and when the sweeper re-drives work the bus lost. A range that was already sent claims nothing, so publishing the
/// same rows twice costs a query, never a second email.</summary>
public sealed class BatchPublisher(DispatcherDb db, IPublishEndpoint bus, IOptions<DispatchingOptions> options)
{
    private const int MessagesPerPublish = 500;

    /// <summary>Publishes every delivery of the dispatch that is pending now (not waiting for a retry).</summary>
    public async Task<int> PublishPendingAsync(long dispatchId, Lane lane, CancellationToken cancellationToken)
    {
        var ids = db.Deliveries.AsNoTracking()
            .Where(d => d.DispatchId == dispatchId && d.Status == DeliveryStatus.Pending && d.RetryAt == null)
            .OrderBy(d => d.Id)
            .Select(d => d.Id)
            .AsAsyncEnumerable();
        return await PublishAsync(dispatchId, lane, ids, cancellationToken);
    }

    /// <summary>Publishes ranges covering the given ascending delivery ids, BatchSize ids per message.</summary>
    public async Task<int> PublishAsync(long dispatchId, Lane lane, IAsyncEnumerable<long> ascendingIds, CancellationToken cancellationToken)
    {
        var size = options.Value.BatchSize;
        var pending = new List<object>(MessagesPerPublish);
        var published = 0;
        long first = 0, last = 0;
        var count = 0;

        await foreach (var id in ascendingIds.WithCancellation(cancellationToken))
        {
            if (count == 0) first = id;
            last = id;
            if (++count < size) continue;
            pending.Add(Batch(dispatchId, lane, first, last));
            count = 0;
            if (pending.Count == MessagesPerPublish) published += await FlushAsync(pending, cancellationToken);
        }
        if (count > 0) pending.Add(Batch(dispatchId, lane, first, last));
        return published + await FlushAsync(pending, cancellationToken);
    }

    /// <summary>Publishes rows given back to pending (leases that ran out, what a dead worker held) on their
    /// dispatches' lanes.</summary>
    public async Task PublishRowsAsync(IEnumerable<(long DispatchId, long DeliveryId)> rows, CancellationToken cancellationToken)
    {
        foreach (var group in rows.GroupBy(r => r.DispatchId))
        {
            var lane = await db.Dispatches.Where(d => d.Id == group.Key).Select(d => d.Lane).SingleAsync(cancellationToken);
            await PublishAsync(group.Key, lane, group.Select(r => r.DeliveryId).Order().ToAsyncEnumerable(), cancellationToken);
        }
    }

    private static object Batch(long dispatchId, Lane lane, long first, long last) => lane == Lane.Urgent
        ? new SendUrgentBatch(dispatchId, first, last)
        : new SendBulkBatch(dispatchId, first, last);

    private async Task<int> FlushAsync(List<object> batch, CancellationToken cancellationToken)
    {
        var count = batch.Count;
        if (count == 0) return 0;
        if (batch[0] is SendUrgentBatch)
            await bus.PublishBatch(batch.Cast<SendUrgentBatch>(), cancellationToken);
        else
            await bus.PublishBatch(batch.Cast<SendBulkBatch>(), cancellationToken);
        batch.Clear();
        return count;
    }
}

using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;
using Dispatcher.Mail;

namespace Dispatcher.Dispatching;

/// <summary>Creates a dispatch's Delivery rows — one per person, however many of the target lists they are on — in one
/// set-based INSERT … SELECT, then publishes the send work. Planning happens once: the first planner to stamp
/// PlannedAt wins, in the same transaction as the rows, so a repeated message or the sweeper cannot plan it twice.</summary>
public sealed class DispatchPlanner(
    DispatcherDb db,
    IEnumerable<IDeliveryPlan> plans,
    BatchPublisher batches,
    TimeProvider clock,
    ILogger<DispatchPlanner> logger)
{
    public async Task PlanAsync(long dispatchId, CancellationToken cancellationToken)
    {
        using var span = Metrics.Tracing.Source.StartActivity("plan dispatch");
        span?.SetTag("dispatcher.dispatch_id", dispatchId);
        var now = clock.GetUtcNow().UtcDateTime;
        Dispatch? dispatch;
        int total;

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var stamped = await db.Dispatches
                .Where(d => d.Id == dispatchId && d.PlannedAt == null && d.Status == DispatchStatus.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.PlannedAt, now), cancellationToken);
            if (stamped == 0) return; // planned already, cancelled, or unknown

            dispatch = await DispatchAsync(dispatchId, cancellationToken)
                       ?? throw new InvalidOperationException($"Dispatch {dispatchId} was stamped planned but cannot be read.");
            var plan = plans.SingleOrDefault(p => p.Kind == dispatch.Kind)
                       ?? throw new InvalidOperationException($"No delivery plan for {dispatch.Kind} dispatches.");
            total = await plan.InsertDeliveriesAsync(db, dispatch, cancellationToken);

            // Sending starts once the rows are written: StartedAt − CreatedAt is how long planning took.
            var planned = clock.GetUtcNow().UtcDateTime;
            dispatch.Total = total;
            dispatch.StartedAt = planned;
            dispatch.LastActivityAt = planned;
            dispatch.Status = total == 0 ? DispatchStatus.Completed : DispatchStatus.Sending;
            if (total == 0) dispatch.FinishedAt = planned;
            db.IntegrationEvents.Add(Events.IntegrationEvents.Of(clock, Events.IntegrationEvents.DispatchStarted, new
            {
                dispatchId, kind = dispatch.Kind.ToString().ToLowerInvariant(), dispatch.StatementId, dispatch.AlertId, total,
            }));
            if (total == 0) // nobody to send to: done as it starts
                db.IntegrationEvents.Add(Events.IntegrationEvents.Of(clock, Events.IntegrationEvents.DispatchCompleted, new { dispatchId, finishedAt = planned }));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        logger.LogInformation("Dispatch {DispatchId} ({Kind}) planned for {Total} people in {Seconds:0.00} s",
            dispatchId, dispatch.Kind, total, (dispatch.StartedAt!.Value - now).TotalSeconds);
        if (total > 0) await batches.PublishPendingAsync(dispatchId, dispatch.Lane, cancellationToken);
    }

    private Task<Dispatch?> DispatchAsync(long id, CancellationToken cancellationToken) =>
        db.Dispatches.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);

    /// <summary>Its queries (see <see cref="SendPathWarmUp"/>): planning against dispatch 0, which stamps nothing; reading,
    /// the newest dispatch.</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await PlanAsync(SendPathWarmUp.None, cancellationToken);
        await DispatchAsync(await SendPathWarmUp.NewestDispatchAsync(db, cancellationToken), cancellationToken);
    }
}

/// <summary>Who a kind of dispatch goes to, as one INSERT … SELECT into deliveries. Returns the number of rows.</summary>
public interface IDeliveryPlan
{
    DispatchKind Kind { get; }

    Task<int> InsertDeliveriesAsync(DispatcherDb db, Dispatch dispatch, CancellationToken cancellationToken);
}

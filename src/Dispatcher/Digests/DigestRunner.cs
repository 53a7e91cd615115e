using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Messages;
using Dispatcher.Subscribers;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Digests;

public sealed class DigestDueConsumer(DispatchPlanner planner) : IConsumer<DigestDue>
{
    public Task Consume(ConsumeContext<DigestDue> context) => planner.PlanAsync(context.Message.DispatchId, context.CancellationToken);
}

public sealed class DigestDueConsumerDefinition : ConsumerDefinition<DigestDueConsumer>
{
    public DigestDueConsumerDefinition() => EndpointName = "plan-digests";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<DigestDueConsumer> consumer, IRegistrationContext context) =>
        endpoint.UseMessageRetry(r => r.Intervals(500, 2000, 5000));
}

/// <summary>Starts a digest run: a dispatch of kind "digest" for one cadence, holding statements up to the newest one
/// now. A scheduled run names its period (and, at readers' local time, their zone and local date), and the unique
/// (cadence, zone, period) row makes it happen once.</summary>
public sealed class DigestRunner(DispatcherDb db, IPublishEndpoint bus, TimeProvider clock, ILogger<DigestRunner> logger)
{
    /// <param name="local">A local-time run: the readers' zone and their local date.</param>
    /// <returns>The dispatch, or null when this period's run was started already (by another worker).</returns>
    public async Task<Dispatch?> StartAsync(Cadence cadence, DateTime? period, Caller caller, CancellationToken cancellationToken,
        (string TimeZone, DateOnly Date)? local = null)
    {
        var zone = local?.TimeZone ?? "";
        var now = clock.GetUtcNow().UtcDateTime;
        Dispatch dispatch;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            DigestRun? run = null;
            if (period is { } due)
            {
                if (await db.DigestRuns.AnyAsync(r => r.Cadence == cadence && r.TimeZone == zone && r.Period == due, cancellationToken)) return null;
                run = new DigestRun { Cadence = cadence, Period = due, TimeZone = zone, LocalDate = local?.Date, CreatedAt = now };
                db.DigestRuns.Add(run);
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException)
                {
                    return null; // another worker inserted the same period a moment ago
                }
            }

            dispatch = Dispatch.Queued(DispatchKind.Digest, now);
            dispatch.Cadence = cadence;
            dispatch.DigestUpTo = await db.Statements.MaxAsync(s => (long?)s.Id, cancellationToken) ?? 0;
            db.Dispatches.Add(dispatch);
            await db.SaveChangesAsync(cancellationToken);
            if (run is not null) run.DispatchId = dispatch.Id;
            db.Audit.Add(AuditLog.Entry(clock, caller, "digest.started", $"dispatch:{dispatch.Id}",
                $"{CadenceNames.Of(cadence)}{(period is { } p ? $" for {p:u}" : " (run now)")}{(local is { } l ? $": readers in {l.TimeZone}, {l.Date:yyyy-MM-dd}" : "")}"));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await bus.TryPublishAsync(new DigestDue(dispatch.Id), logger); // else the sweeper plans the queued dispatch
        return dispatch;
    }
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Hosting;
using Dispatcher.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Alerts;

/// <summary>Asks again for the approval emails of alerts whose request was never told: the API publishes the request
/// after the alert's commit, and a broker away at that moment (or a process that died in between) would leave the
/// alert waiting for a second organiser nobody told. Every Dispatching:SweepInterval on every worker, for requests
/// older than Dispatching:PlanGrace — the same rule as for dispatches nobody planned.</summary>
public sealed class ApprovalRequestRedrive(
    IServiceScopeFactory scopes,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    IOptions<DispatchingOptions> options,
    ILogger<ApprovalRequestRedrive> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        do
        {
            try
            {
                await RedriveAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Could not look for approval requests nobody was told of; trying again shortly");
            }
        } while (await timer.NextTickAsync(stoppingToken));
    }

    private async Task RedriveAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var before = clock.GetUtcNow().UtcDateTime - options.Value.PlanGrace;
        var untold = await UntoldAsync(db, before, cancellationToken);
        var bus = scope.ServiceProvider.GetRequiredService<IPublishEndpoint>();
        foreach (var id in untold)
        {
            logger.LogWarning("Alert {AlertId} waits for approval and nobody was told; emailing those who may approve it now", id);
            await bus.TryPublishAsync(new AlertAwaitsApproval(id), logger, cancellationToken);
        }
    }

    private static Task<List<long>> UntoldAsync(DispatcherDb db, DateTime before, CancellationToken cancellationToken) =>
        db.Alerts.AsNoTracking()
            .Where(a => a.Status == AlertStatus.PendingApproval && a.ApproversToldAt == null && a.RequestedAt < before)
            .OrderBy(a => a.Id).Select(a => a.Id).Take(20).ToListAsync(cancellationToken);
}

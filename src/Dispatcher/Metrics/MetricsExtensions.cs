using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Microsoft.EntityFrameworkCore;
using Prometheus;

namespace Dispatcher.Metrics;

public static class MetricsExtensions
{
    public static WebApplicationBuilder AddDispatcherMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DispatcherMetrics>();
        return builder;
    }

    /// <summary>GET /metrics on every role. Before each scrape the gauges are read from the database and the pool.</summary>
    public static IEndpointRouteBuilder MapDispatcherMetrics(this WebApplication app)
    {
        var scopes = app.Services.GetRequiredService<IServiceScopeFactory>();
        var relays = app.Services.GetRequiredService<RelaySet>();
        var metrics = app.Services.GetRequiredService<DispatcherMetrics>();
        metrics.Registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            foreach (var relay in relays.All) metrics.SmtpConnections.WithLabels(relay.ToString()).Set(relay.OpenConnections);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await CollectDispatchesAsync(scope.ServiceProvider, metrics, cancellationToken);
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or TimeoutException)
            {
                // The database is down: /health says so; the process's own counters are still worth scraping.
            }
        });
        app.MapMetrics("/metrics", metrics.Registry).AllowAnonymous();
        return app;
    }

    private static async Task CollectDispatchesAsync(IServiceProvider services, DispatcherMetrics metrics, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<DispatcherDb>();
        var inFlight = await db.Dispatches.AsNoTracking()
            .Where(d => d.Status == DispatchStatus.Sending || d.Status == DispatchStatus.Paused || d.Status == DispatchStatus.Queued)
            .ToListAsync(cancellationToken);
        var progress = await services.GetRequiredService<DispatchProgress>().DescribeAsync(inFlight, cancellationToken);

        // Dispatches that finished since the last scrape drop out of the per-dispatch series.
        foreach (var labels in metrics.DispatchDeliveries.GetAllLabelValues().ToList())
            if (progress.All(p => p.Id.ToString() != labels[0])) metrics.DispatchDeliveries.RemoveLabelled(labels);
        foreach (var labels in metrics.DispatchRate.GetAllLabelValues().ToList())
            if (progress.All(p => p.Id.ToString() != labels[0])) metrics.DispatchRate.RemoveLabelled(labels);

        var depth = new Dictionary<Lane, int> { [Lane.Bulk] = 0, [Lane.Urgent] = 0 };
        foreach (var (dispatch, p) in inFlight.Zip(progress))
        {
            var id = p.Id.ToString();
            foreach (var (status, count) in new[] { ("sent", p.Sent), ("failed", p.Failed), ("bounced", p.Bounced), ("skipped", p.Skipped), ("pending", p.Pending), ("in_flight", p.InFlight) })
                metrics.DispatchDeliveries.WithLabels(id, p.Kind, status).Set(count);
            metrics.DispatchRate.WithLabels(id, p.Kind).Set(p.RatePerSecond ?? 0);
            if (dispatch.Status == DispatchStatus.Sending) depth[dispatch.Lane] += p.Pending;
        }
        foreach (var (lane, count) in depth) metrics.QueueDepth.WithLabels(lane.ToString().ToLowerInvariant()).Set(count);
    }
}

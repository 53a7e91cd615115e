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
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (builder.Configuration.GetValue<int?>($"{MetricsOptions.Section}:Port") is { } port and > 0 and < 65536)
        {
            // A listener of its own beside the site's, on the site's first host: http://127.0.0.1:5080 → http://127.0.0.1:<port>.
            var urls = (builder.Configuration["urls"] ?? Hosting.Startup.DefaultUrl).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var host = System.Text.RegularExpressions.Regex.Match(urls[0], @"^[a-z]+://(\[[^\]]+\]|[^:/]+)").Groups[1].Value;
            builder.WebHost.UseUrls([.. urls, $"http://{(host is "" ? "127.0.0.1" : host)}:{port}"]);
        }
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
        var access = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MetricsOptions>>().Value;
        app.Use((context, next) => access.Port is not null || context.Request.Path.StartsWithSegments("/metrics") ? GuardAsync(context, next, access) : next(context));
        app.MapMetrics("/metrics", metrics.Registry).AllowAnonymous();
        return app;
    }

    /// <summary>Metrics:Port: served on that port only (by the port the connection came in on, not the Host header);
    /// Metrics:BearerToken: only with that token. Everything else on that port is not found.</summary>
    private static Task GuardAsync(HttpContext context, RequestDelegate next, MetricsOptions access)
    {
        var isMetrics = context.Request.Path.StartsWithSegments("/metrics");
        if (access.Port is { } port && (context.Connection.LocalPort == port) != isMetrics)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        if (isMetrics && access.BearerToken is { Length: > 0 } token)
        {
            var presented = context.Request.Headers.Authorization.ToString();
            var expected = "Bearer " + token;
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(presented), System.Text.Encoding.UTF8.GetBytes(expected)))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Task.CompletedTask;
            }
        }
        return next(context);
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

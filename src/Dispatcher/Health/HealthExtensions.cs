using System.Text.Json;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Mail;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dispatcher.Health;

/// <summary>GET /health, served by every role: 200 when the database, the bus and (where this process sends) the SMTP
/// relay answer; 503 when one does not. Anyone (a load balancer) gets the status alone; an admin API key gets which part
/// fails and why — relay addresses and error texts are a map of the network for anyone else.</summary>
public static class HealthExtensions
{
    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database").AddCheck<WarmUpHealthCheck>("warm-up");
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Web)
            checks.AddCheck<RelayHealthCheck>("relay");
        builder.Services.AddSingleton<RelayHealthCheck>();
        // Last of the hosted services: the warm-up steps use the bus and the capture mailbox, which start before.
        builder.Services.AddSingleton<StartupWarmUp>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StartupWarmUp>());
        return builder;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        var warmUp = app.ServiceProvider.GetRequiredService<StartupWarmUp>();
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            // Not the bus while warming up (which answers 503 already): still starting, it would add an error line to the
            // log at every poll of every start. The database and the relay are asked; the bus from the end of the warm-up on.
            Predicate = check => warmUp.IsDone || check.Name != Dispatching.DispatchingExtensions.BusHealthCheck,
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                // MassTransit says Degraded while its endpoints reconnect to a broker that is gone: not able to work.
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteAsync,
        }).AllowAnonymous();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        if (!context.User.IsInRole(nameof(Access.Role.Admin)))
            return JsonSerializer.SerializeAsync(context.Response.Body, new { status = report.Status.ToString().ToLowerInvariant() },
                cancellationToken: context.RequestAborted);
        var failing = report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy).Select(e => e.Key).ToList();
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            failing,
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => new { status = e.Value.Status.ToString().ToLowerInvariant(), description = e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    }
}

/// <summary>Not ready until every warm-up step is done (<see cref="StartupWarmUp"/>).</summary>
public sealed class WarmUpHealthCheck(StartupWarmUp warmUp) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(warmUp.IsDone ? HealthCheckResult.Healthy("ready") : HealthCheckResult.Degraded($"warming up: {warmUp.Doing}"));
}

public sealed class DatabaseHealthCheck(DispatcherDb db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy("reachable")
                : HealthCheckResult.Unhealthy("cannot connect");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"cannot connect: {e.Message}");
        }
    }
}

/// <summary>Opens a connection to each relay (EHLO, QUIT): healthy while at least one answers, naming the ones that
/// do not. The answer is kept for 10 seconds so a busy probe does not hammer the relays.</summary>
public sealed class RelayHealthCheck(RelayConnections connections, RelaySet relays) : IHealthCheck
{
    private (DateTime At, HealthCheckResult Result)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_last is { } last && DateTime.UtcNow - last.At < TimeSpan.FromSeconds(10)) return last.Result;
        var answering = new List<string>();
        var failing = new List<string>();
        foreach (var relay in relays.All)
            try
            {
                await connections.ProbeAsync(relay, cancellationToken);
                answering.Add(relay.ToString());
            }
            catch (RelayUnavailableException e)
            {
                failing.Add(e.Message);
            }
        var result = answering.Count == 0
            ? HealthCheckResult.Unhealthy(string.Join("; ", failing))
            : HealthCheckResult.Healthy($"answers at {string.Join(", ", answering)}{(failing.Count > 0 ? $"; not answering: {string.Join("; ", failing)}" : "")}");
        _last = (DateTime.UtcNow, result);
        return result;
    }
}

using System.Text.Json;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Mail;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dispatcher.Health;

/// <summary>GET /health, served by every role: 200 when the database, the bus and (where this process sends) the SMTP
/// relay answer; 503 naming the part that does not.</summary>
public static class HealthExtensions
{
    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        var checks = builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Web)
            checks.AddCheck<RelayHealthCheck>("relay");
        builder.Services.AddSingleton<RelayHealthCheck>();
        return builder;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions
        {
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteAsync,
        }).AllowAnonymous();
        return app;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var failing = report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy).Select(e => e.Key).ToList();
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

/// <summary>Opens a connection to the relay (EHLO, QUIT). The answer is kept for 10 seconds so a busy probe does not hammer the relay.</summary>
public sealed class RelayHealthCheck(SmtpConnectionPool pool, RelayAddress relay) : IHealthCheck
{
    private (DateTime At, HealthCheckResult Result)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_last is { } last && DateTime.UtcNow - last.At < TimeSpan.FromSeconds(10)) return last.Result;
        HealthCheckResult result;
        try
        {
            var client = await pool.ConnectAsync(cancellationToken);
            await SmtpConnectionPool.CloseAsync(client);
            result = HealthCheckResult.Healthy($"answers at {relay}");
        }
        catch (RelayUnavailableException e)
        {
            result = HealthCheckResult.Unhealthy(e.Message);
        }
        _last = (DateTime.UtcNow, result);
        return result;
    }
}

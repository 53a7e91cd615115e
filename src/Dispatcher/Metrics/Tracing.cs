using System.Diagnostics;
using Npgsql;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Dispatcher.Metrics;

/// <summary>Traces across web → bus → planner → sender, exported by OTLP when OpenTelemetry:Endpoint is set
/// (a collector, Jaeger, Tempo); nothing is collected otherwise. ASP.NET Core, HttpClient, MassTransit (its context
/// travels in the message headers, so a worker's spans join the request's trace) and Npgsql report their own spans;
/// Dispatcher adds the planning and each batch's sending.</summary>
public static class Tracing
{
    public const string Section = "OpenTelemetry";

    /// <summary>Dispatcher's own spans: "plan dispatch", "send batch".</summary>
    public static readonly ActivitySource Source = new("Dispatcher");

    public static WebApplicationBuilder AddTracing(this WebApplicationBuilder builder)
    {
        var endpoint = builder.Configuration[$"{Section}:Endpoint"];
        if (string.IsNullOrWhiteSpace(endpoint)) return builder;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new Hosting.StartupProblem($"{Section}:Endpoint must be an http or https URL (an OTLP collector, e.g. http://otel-collector:4317), not '{endpoint}'.");
        var role = builder.Configuration.GetValue($"{Hosting.DispatcherOptions.Section}:Role", Hosting.HostRole.All);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("dispatcher", serviceInstanceId: $"{role.ToString().ToLowerInvariant()}-{Environment.MachineName}"))
            .WithTracing(tracing => tracing
                .AddSource(Source.Name, "MassTransit")
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health") && !http.Request.Path.StartsWithSegments("/metrics"))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddOtlpExporter(o => o.Endpoint = uri));
        return builder;
    }
}

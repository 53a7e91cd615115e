using Dispatcher.Faults;
using Dispatcher.Hosting;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

public static class DispatchingExtensions
{
    /// <summary>The name of MassTransit's health check of the bus in /health.</summary>
    public const string BusHealthCheck = "bus";

    /// <summary>The dispatch pipeline and the bus: MassTransit in memory (default) or on RabbitMQ with durable quorum
    /// queues. Web processes only publish; Worker processes also consume and sweep.</summary>
    public static WebApplicationBuilder AddDispatching(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var role = builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All);
        var bus = builder.Configuration.GetValue($"{DispatcherOptions.Section}:Bus", BusKind.InMemory);
        var runsWorker = role is HostRole.All or HostRole.Worker;

        services.AddOptions<DispatchingOptions>().BindConfiguration(DispatchingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<DeliveryLedger>();
        services.AddSingleton<RecipientLinks>();
        services.AddScoped<BatchPublisher>();
        services.AddScoped<DispatchPlanner>();
        services.AddScoped<BatchSender>();
        services.AddScoped<DispatchContentCache>();
        services.AddScoped<DispatchLanguages>();
        services.AddScoped<DispatchSweep>();
        services.AddScoped<DispatchProgress>();
        services.AddScoped<DispatchControl>();
        services.AddScoped<DispatchAccess>();
        services.AddSingleton<LaneGate>();
        services.AddSingleton<InFlightBatches>();
        services.AddSingleton<LeaseKeeper>();
        services.AddSingleton<WorkerLiveness>();
        services.AddSingleton<TouchThrottle>();
        services.AddSingleton<PlanningBackoff>();
        services.AddSingleton<IWarmUpStep>(sp => new SendPathWarmUp(sp.GetRequiredService<IServiceScopeFactory>(), sends: runsWorker));
        services.AddCodeWarmUp(typeof(SendPathWarmUp).Namespace!)
            .AddCodeWarmUp(typeof(Messages.SendUrgentBatch), typeof(Data.HandWrittenCommand), typeof(Data.DatabaseClock), typeof(ReaderLocale));
        if (role != HostRole.Worker)
        {
            // What an organiser watching a send asks for: the dispatch page and GET /api/dispatches/{id}.
            services.AddWarmUp<DispatchAccess>("running the dispatch page's queries once", (a, ct) => a.WarmUpAsync(ct));
            services.AddWarmUp<DispatchProgress>("counting a dispatch's people once", (p, ct) => p.WarmUpAsync(ct));
            services.AddJsonWarmUp<DispatchResponse>();
        }
        if (runsWorker)
        {
            // First of the worker's services: hosted services stop in reverse order, so it beats until the batches have stopped.
            services.AddSingleton<WorkerHeartbeat>();
            services.AddHostedService(sp => sp.GetRequiredService<WorkerHeartbeat>());
            services.AddWarmUp<WorkerHeartbeat>("running the heartbeat's take-over queries once", (h, ct) => h.WarmUpAsync(ct));
            services.AddHostedService<DispatchSweeper>();
            // Before AddMassTransit: hosted services stop in reverse order, so this waits after the bus has stopped.
            services.AddHostedService(sp => sp.GetRequiredService<InFlightBatches>());
        }

        services.AddMassTransit(x =>
        {
            // MassTransit reports each bus's host, versions and time zone to its vendor unless told not to: a deployment
            // that keeps its lists private sends nothing anywhere it was not configured to.
            x.DisableUsageTelemetry();
            x.SetKebabCaseEndpointNameFormatter();
            x.ConfigureHealthCheckOptions(o => o.Name = BusHealthCheck);
            if (runsWorker)
            {
                x.AddConsumers(typeof(DispatchingExtensions).Assembly);
                // Every message that fails all its retries is recorded (see FaultRecorder), on one queue of its own.
                foreach (var message in Messages.MessageContracts.All)
                    x.AddConsumer(typeof(FaultRecorder<>).MakeGenericType(message)).Endpoint(e => e.Name = "faults");
            }

            // Every consumer queue is a durable quorum queue: replicated, and it survives a broker restart.
            x.AddConfigureEndpointsCallback((_, _, endpoint) =>
            {
                if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit) rabbit.SetQuorumQueue();
            });

            if (bus == BusKind.RabbitMq)
                x.UsingRabbitMq((context, cfg) =>
                {
                    var rabbit = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                    cfg.Host(rabbit.Host, (ushort)rabbit.Port, rabbit.VirtualHost, h =>
                    {
                        h.Username(rabbit.Username);
                        h.Password(rabbit.Password);
                        // A cluster: connect to a node that answers, and to another when it goes (docs/operations.md).
                        if (rabbit.Nodes.Count > 0) h.UseCluster(c => { foreach (var node in rabbit.Nodes) c.Node(node); });
                    });
                    cfg.ConfigureEndpoints(context);
                });
            else
                x.UsingInMemory((context, cfg) => cfg.ConfigureEndpoints(context));
        });
        services.AddOptions<MassTransitHostOptions>().Configure(o =>
        {
            // The API must start (and accept statements into the database) even while the broker is down.
            o.WaitUntilStarted = false;
            o.StopTimeout = TimeSpan.FromSeconds(30);
            o.ConsumerStopTimeout = TimeSpan.FromSeconds(20);
        });
        return builder;
    }
}

using Dispatcher.Dispatching;
using MassTransit;

namespace Dispatcher.Statements;

/// <summary>A statement was stored. DispatchId is its immediate send, or null when nobody on its lists takes statements at once.</summary>
public sealed record StatementPublished(long StatementId, long? DispatchId);

/// <summary>Plans the statement's immediate dispatch. Idempotent: a repeated message finds it planned already.</summary>
public sealed class StatementPublishedConsumer(DispatchPlanner planner) : IConsumer<StatementPublished>
{
    public Task Consume(ConsumeContext<StatementPublished> context) =>
        context.Message.DispatchId is { } dispatchId ? planner.PlanAsync(dispatchId, context.CancellationToken) : Task.CompletedTask;
}

public sealed class StatementPublishedConsumerDefinition : ConsumerDefinition<StatementPublishedConsumer>
{
    public StatementPublishedConsumerDefinition() => EndpointName = "plan-statements";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<StatementPublishedConsumer> consumer, IRegistrationContext context) =>
        endpoint.UseMessageRetry(r => r.Intervals(200, 1000, 5000));
}

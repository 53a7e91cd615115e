using Dispatcher.Dispatching;
using Dispatcher.Messages;
using MassTransit;

namespace Dispatcher.Statements;

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

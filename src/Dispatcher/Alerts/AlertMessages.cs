using Dispatcher.Dispatching;
using Dispatcher.Messages;
using MassTransit;

namespace Dispatcher.Alerts;

public sealed class AlertApprovedConsumer(DispatchPlanner planner) : IConsumer<AlertApproved>
{
    public Task Consume(ConsumeContext<AlertApproved> context) => planner.PlanAsync(context.Message.DispatchId, context.CancellationToken);
}

public sealed class AlertApprovedConsumerDefinition : ConsumerDefinition<AlertApprovedConsumer>
{
    public AlertApprovedConsumerDefinition() => EndpointName = "plan-alerts";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<AlertApprovedConsumer> consumer, IRegistrationContext context) =>
        endpoint.UseMessageRetry(r => r.Intervals(100, 500, 2000));
}

public sealed class AlertAwaitsApprovalConsumer(ApprovalRequests requests) : IConsumer<AlertAwaitsApproval>
{
    public Task Consume(ConsumeContext<AlertAwaitsApproval> context) => requests.TellAsync(context.Message.AlertId, context.CancellationToken);
}

public sealed class AlertAwaitsApprovalConsumerDefinition : ConsumerDefinition<AlertAwaitsApprovalConsumer>
{
    public AlertAwaitsApprovalConsumerDefinition() => EndpointName = "approval-requests";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<AlertAwaitsApprovalConsumer> consumer, IRegistrationContext context) =>
        endpoint.UseMessageRetry(r => r.Intervals(500, 2000, 5000, 15000));
}

public sealed class SendTestAlertConsumer(AlertTestSender sender) : IConsumer<SendTestAlert>
{
    public Task Consume(ConsumeContext<SendTestAlert> context) => sender.SendAsync(context.Message, context.CancellationToken);
}

public sealed class SendTestAlertConsumerDefinition : ConsumerDefinition<SendTestAlertConsumer>
{
    public SendTestAlertConsumerDefinition() => EndpointName = "send-tests";

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<SendTestAlertConsumer> consumer, IRegistrationContext context) =>
        endpoint.UseMessageRetry(r => r.Intervals(500, 2000, 5000));
}

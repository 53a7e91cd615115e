using Dispatcher.Mail;
using Dispatcher.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>The bulk lane: statements and digests, on queue "send-bulk", as many at once as the lane has SMTP connections.</summary>
public sealed class BulkBatchConsumer(BatchSender sender) : IConsumer<SendBulkBatch>
{
    public Task Consume(ConsumeContext<SendBulkBatch> context) => sender.SendAsync(context.Message, Lane.Bulk, context.CancellationToken);
}

/// <summary>The urgent lane: alerts and confirmations, on their own queue "send-urgent" with reserved SMTP connections,
/// so they never wait behind bulk work.</summary>
public sealed class UrgentBatchConsumer(BatchSender sender) : IConsumer<SendUrgentBatch>
{
    public Task Consume(ConsumeContext<SendUrgentBatch> context) => sender.SendAsync(context.Message, Lane.Urgent, context.CancellationToken);
}

public sealed class BulkBatchConsumerDefinition : ConsumerDefinition<BulkBatchConsumer>
{
    public BulkBatchConsumerDefinition(IOptions<SmtpOptions> smtp)
    {
        EndpointName = "send-bulk";
        ConcurrentMessageLimit = smtp.Value.BulkConnections;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<BulkBatchConsumer> consumer, IRegistrationContext context)
    {
        // Relay trouble is handled per delivery from the database; these retries cover the database being away for a
        // minute or two (the worker backs off and carries on) before a batch counts as failed and goes to send-bulk_error.
        endpoint.UseMessageRetry(r => r.Exponential(8, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)));
        endpoint.PrefetchCount = (ConcurrentMessageLimit ?? 1) * 2;
    }
}

public sealed class UrgentBatchConsumerDefinition : ConsumerDefinition<UrgentBatchConsumer>
{
    public UrgentBatchConsumerDefinition(IOptions<SmtpOptions> smtp)
    {
        EndpointName = "send-urgent";
        // Its reserved connections, plus the bulk lane's, which it borrows while bulk senders step aside.
        ConcurrentMessageLimit = smtp.Value.MaxConnections;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<UrgentBatchConsumer> consumer, IRegistrationContext context)
    {
        endpoint.UseMessageRetry(r => r.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)));
        endpoint.PrefetchCount = (ConcurrentMessageLimit ?? 1) * 2;
    }
}

using Dispatcher.Mail;
using Dispatcher.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>The bulk lane: statements and digests, on queue "send-bulk".</summary>
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

/// <summary>Batches a lane works on at once: enough claimed mail that each of its connections finds its next message
/// waiting, and the next batch claimed before the last one's end.</summary>
internal static class BatchesInFlight
{
    public static int For(int connections, int batchSize) => Math.Clamp((2 * connections + batchSize - 1) / batchSize + 1, 2, 64);
}

public sealed class BulkBatchConsumerDefinition : ConsumerDefinition<BulkBatchConsumer>
{
    public BulkBatchConsumerDefinition(IOptions<SmtpOptions> smtp, IOptions<DispatchingOptions> dispatching)
    {
        EndpointName = "send-bulk";
        ConcurrentMessageLimit = BatchesInFlight.For(smtp.Value.BulkConnections, dispatching.Value.BatchSize);
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
    public UrgentBatchConsumerDefinition(IOptions<SmtpOptions> smtp, IOptions<DispatchingOptions> dispatching)
    {
        EndpointName = "send-urgent";
        // Its own connections and every other one, which take urgent mail before bulk.
        ConcurrentMessageLimit = BatchesInFlight.For(smtp.Value.MaxConnections, dispatching.Value.BatchSize);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpoint, IConsumerConfigurator<UrgentBatchConsumer> consumer, IRegistrationContext context)
    {
        endpoint.UseMessageRetry(r => r.Exponential(8, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1)));
        endpoint.PrefetchCount = (ConcurrentMessageLimit ?? 1) * 2;
    }
}

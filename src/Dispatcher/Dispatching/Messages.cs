namespace Dispatcher.Dispatching;

// Messages carry ids only: the database is the source of truth, the bus carries work.

/// <summary>Send the claimable deliveries of a dispatch whose ids lie in [FirstDeliveryId, LastDeliveryId].</summary>
public interface ISendBatch
{
    long DispatchId { get; }
    long FirstDeliveryId { get; }
    long LastDeliveryId { get; }
}

/// <summary>Statements and digests: the bulk lane.</summary>
public sealed record SendBulkBatch(long DispatchId, long FirstDeliveryId, long LastDeliveryId) : ISendBatch;

/// <summary>Alerts and confirmations: the urgent lane, with its own queue, consumers and SMTP connections.</summary>
public sealed record SendUrgentBatch(long DispatchId, long FirstDeliveryId, long LastDeliveryId) : ISendBatch;

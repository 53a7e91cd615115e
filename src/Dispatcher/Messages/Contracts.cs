using MassTransit;

namespace Dispatcher.Messages;

// Every message on the bus, in one place. Messages carry ids only: the database is the source of truth, the bus carries
// work (docs/adr/0001). Each names its URN and exchange itself, as they were when the messages lived in their feature
// folders: moving or renaming a class must never rename an exchange that running processes and queues are bound to.
// A fault recorder is registered for every contract here (see MessageContracts.All).

/// <summary>A statement was stored. DispatchId is its immediate send, or null when nobody on its lists takes statements at once.</summary>
[MessageUrn("Dispatcher.Statements:StatementPublished")]
[EntityName("Dispatcher.Statements:StatementPublished")]
public sealed record StatementPublished(long StatementId, long? DispatchId);

/// <summary>An alert was sent (or approved): plan its dispatch on the urgent lane.</summary>
[MessageUrn("Dispatcher.Alerts:AlertApproved")]
[EntityName("Dispatcher.Alerts:AlertApproved")]
public sealed record AlertApproved(long AlertId, long DispatchId);

/// <summary>Send one copy of an alert to an address, marked as a test.</summary>
[MessageUrn("Dispatcher.Alerts:SendTestAlert")]
[EntityName("Dispatcher.Alerts:SendTestAlert")]
public sealed record SendTestAlert(long AlertId, string Email);

/// <summary>A digest run is due: plan its dispatch.</summary>
/// <summary>An alert waits for a second person: tell the other organisers and admins of its lists.</summary>
[MessageUrn("Dispatcher.Alerts:AlertAwaitsApproval")]
[EntityName("Dispatcher.Alerts:AlertAwaitsApproval")]
public sealed record AlertAwaitsApproval(long AlertId);

[MessageUrn("Dispatcher.Digests:DigestDue")]
[EntityName("Dispatcher.Digests:DigestDue")]
public sealed record DigestDue(long DispatchId);

/// <summary>Send the claimable deliveries of a dispatch whose ids lie in [FirstDeliveryId, LastDeliveryId].</summary>
public interface ISendBatch
{
    long DispatchId { get; }
    long FirstDeliveryId { get; }
    long LastDeliveryId { get; }
}

/// <summary>Statements and digests: the bulk lane.</summary>
[MessageUrn("Dispatcher.Dispatching:SendBulkBatch")]
[EntityName("Dispatcher.Dispatching:SendBulkBatch")]
public sealed record SendBulkBatch(long DispatchId, long FirstDeliveryId, long LastDeliveryId) : ISendBatch;

/// <summary>Alerts and confirmations: the urgent lane, with its own queue, consumers and SMTP connections.</summary>
[MessageUrn("Dispatcher.Dispatching:SendUrgentBatch")]
[EntityName("Dispatcher.Dispatching:SendUrgentBatch")]
public sealed record SendUrgentBatch(long DispatchId, long FirstDeliveryId, long LastDeliveryId) : ISendBatch;

public static class MessageContracts
{
    /// <summary>Every message type published on the bus: the records of this namespace.</summary>
    public static IReadOnlyList<Type> All { get; } = typeof(MessageContracts).Assembly.GetTypes()
        .Where(t => t.Namespace == typeof(MessageContracts).Namespace && t.IsClass && !t.IsAbstract && t.IsPublic)
        .OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
}

using System.Text.Json;

namespace Dispatcher.Events;

/// <summary>Something that happened that systems beside Dispatcher may want to know (a CRM, a chat, n8n): written to the
/// database in the same unit of work as the change it reports — like an audit entry — so it is told if and only if
/// the change happened. The webhook sender fans each out to the endpoints that want its type.</summary>
public sealed class IntegrationEvent
{
    public long Id { get; set; }
    public required string Type { get; set; }

    /// <summary>The event's <c>data</c>, as JSON.</summary>
    public required string DataJson { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Set once the sender has made its deliveries to the endpoints (in the same transaction).</summary>
    public bool FannedOut { get; set; }
}

/// <summary>The event types, and how an event is made.</summary>
public static class IntegrationEvents
{
    public const string SubscriberConfirmed = "subscriber.confirmed";
    public const string SubscriberUnsubscribed = "subscriber.unsubscribed";
    public const string SubscriberErased = "subscriber.erased";
    public const string DeliveryBounced = "delivery.bounced";
    public const string DeliveryComplained = "delivery.complained";
    public const string DispatchStarted = "dispatch.started";
    public const string DispatchCompleted = "dispatch.completed";
    public const string DispatchCancelled = "dispatch.cancelled";
    public const string AlertPendingApproval = "alert.pending_approval";
    public const string AlertSent = "alert.sent";

    public static readonly IReadOnlyList<string> All =
    [
        SubscriberConfirmed, SubscriberUnsubscribed, SubscriberErased, DeliveryBounced, DeliveryComplained,
        DispatchStarted, DispatchCompleted, DispatchCancelled, AlertPendingApproval, AlertSent,
    ];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>An event to add to the unit of work of the change it reports (<c>db.IntegrationEvents.Add(…)</c>).</summary>
    public static IntegrationEvent Of(TimeProvider clock, string type, object data) => new()
    {
        Type = type,
        DataJson = JsonSerializer.Serialize(data, Json),
        CreatedAt = clock.GetUtcNow().UtcDateTime,
    };
}

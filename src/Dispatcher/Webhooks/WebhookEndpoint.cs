namespace Dispatcher.Webhooks;

/// <summary>A URL that is told of events, signed with its own secret (Standard Webhooks).</summary>
public sealed class WebhookEndpoint
{
    public int Id { get; set; }
    public required string Url { get; set; }

    /// <summary>The event types it wants, comma-separated (see Events.IntegrationEvents).</summary>
    public required string EventTypes { get; set; }

    public string? Description { get; set; }

    /// <summary>The signing secret ("whsec_…"), encrypted with the installation's key ring: the sender needs it to sign,
    /// a copy of the database alone does not give it away.</summary>
    public required string ProtectedSecret { get; set; }

    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }

    public IReadOnlyList<string> Events => EventTypes.Split(',', StringSplitOptions.RemoveEmptyEntries);
}

public enum WebhookDeliveryStatus
{
    Pending = 0,
    Delivered = 1,

    /// <summary>Not answered with 2xx within Webhooks:RetryFor (24 h); can be re-sent by hand.</summary>
    Failed = 2,
}

/// <summary>One event for one endpoint: its body as sent (the same bytes on every attempt, so the signature and the
/// webhook-id stay the same for the receiver's de-duplication), and how its attempts went.</summary>
public sealed class WebhookDelivery
{
    public long Id { get; set; }
    public int EndpointId { get; set; }
    public long? EventId { get; set; }
    public required string Type { get; set; }
    public required string Body { get; set; }
    public WebhookDeliveryStatus Status { get; set; }
    public int Attempts { get; set; }

    /// <summary>When it may be tried (again); also the lease of the worker trying it.</summary>
    public DateTime NextAttemptAt { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? LastAttemptAt { get; set; }
    public int? LastStatusCode { get; set; }
    public string? LastError { get; set; }
    public DateTime? DeliveredAt { get; set; }

    /// <summary>The webhook-id header: the same for every attempt of this delivery.</summary>
    public string MessageId => $"msg_{Id}";
}

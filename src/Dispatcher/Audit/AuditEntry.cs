namespace Dispatcher.Audit;

/// <summary>Who did what to what, and when.</summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }

    /// <summary>"key:3 (website)", "user:ana@example.org", "subscriber", "system".</summary>
    public required string Actor { get; set; }

    /// <summary>"list.created", "statement.published", "subscription.unsubscribed", …</summary>
    public required string Action { get; set; }

    /// <summary>"list:news", "statement:12", "dispatch:40".</summary>
    public required string Target { get; set; }

    public string? Details { get; set; }
}

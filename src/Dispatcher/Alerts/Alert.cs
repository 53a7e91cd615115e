using Dispatcher.Subscribers;

namespace Dispatcher.Alerts;

public enum AlertStatus
{
    Draft = 0,

    /// <summary>Someone asked to send it; a target list requires a second person's approval.</summary>
    PendingApproval = 1,

    /// <summary>Its dispatch exists. An alert is sent once: sending or approving again is a conflict.</summary>
    Sent = 2,
}

/// <summary>An urgent solidarity alert: a protest tonight, a letter to sign, an embassy to email.</summary>
public sealed class Alert
{
    public long Id { get; set; }
    public required string Subject { get; set; }
    public required string BodyMarkdown { get; set; }

    /// <summary>Rendered from BodyMarkdown with Markdig and sanitised, when the draft is saved.</summary>
    public required string BodyHtml { get; set; }

    public string? ActionUrl { get; set; }
    public string? ActionLabel { get; set; }
    public AlertStatus Status { get; set; }
    public List<AlertList> Lists { get; set; } = [];

    /// <summary>Who of its lists' people it goes to, by their attributes.</summary>
    public Audience Audience
    {
        get => Audience.FromJson(AudienceJson);
        set => AudienceJson = value.ToJson();
    }

    /// <summary><see cref="Audience"/> as stored: null for everyone.</summary>
    public string? AudienceJson { get; set; }

    /// <summary>"key:3" or "user:5": who wrote it.</summary>
    public required string CreatedBy { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    /// <summary>Who asked to send it; the approver must be someone else.</summary>
    public string? RequestedBy { get; set; }

    public DateTime? RequestedAt { get; set; }
    public string? ApprovedBy { get; set; }
    public DateTime? ApprovedAt { get; set; }
    public long? DispatchId { get; set; }
}

public sealed class AlertList
{
    public long AlertId { get; set; }
    public int ListId { get; set; }
}

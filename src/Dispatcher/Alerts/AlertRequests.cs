using Dispatcher.Hosting;

namespace Dispatcher.Alerts;

/// <param name="Audience">Who of the lists' people it goes to, by attribute (see <see cref="Subscribers.Audience"/>); absent: everyone.</param>
/// <param name="Segment">Instead of <paramref name="Audience"/>: a saved one's slug, whose audience the alert takes a copy of.</param>
public sealed record AlertRequest(string? Subject, string? BodyMarkdown, string? ActionUrl, string? ActionLabel, List<string>? Lists,
    Dictionary<string, List<string?>?>? Audience = null, string? Segment = null)
{
    public const int MaxBodyLength = 100_000;

    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        errors.Text("subject", Subject, 300, required: true);
        errors.Text("bodyMarkdown", BodyMarkdown, MaxBodyLength, required: true);
        errors.Url("actionUrl", ActionUrl);
        errors.Text("actionLabel", ActionLabel, 100);
        if (!string.IsNullOrWhiteSpace(ActionLabel) && string.IsNullOrWhiteSpace(ActionUrl))
            errors.Add("actionLabel", "'actionLabel' needs an 'actionUrl' to point to.");
        if (Lists is null || Lists.Count == 0) errors.Add("lists", "'lists' must name at least one list.");
        return errors;
    }
}

public sealed record TestSendRequest(string? Email);

public sealed record AlertResponse(
    long Id, string Subject, string BodyMarkdown, string? ActionUrl, string? ActionLabel, IReadOnlyList<string> Lists,
    string Status, int Recipients, string CreatedBy, DateTime CreatedAt, string? RequestedBy, DateTime? RequestedAt,
    string? ApprovedBy, DateTime? ApprovedAt, long? DispatchId, bool RequiresApproval,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Audience);

/// <summary>GET /api/alerts/{id}/audience: how many people it would reach now, and up to five of them.</summary>
public sealed record AlertAudienceResponse(int Count, IReadOnlyList<string> Sample, IReadOnlyDictionary<string, IReadOnlyList<string>>? Audience);

/// <summary>What send and approve answer: {dispatchId, status: "sent"} or {dispatchId: null, status: "pendingApproval"}.</summary>
public sealed record AlertSendResponse(long? DispatchId, string Status);

public sealed record AlertPreview(string Subject, string Html, string Text);

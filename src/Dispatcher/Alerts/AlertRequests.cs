using Dispatcher.Hosting;

namespace Dispatcher.Alerts;

/// <param name="Audience">Who of the lists' people it goes to, by attribute (see <see cref="Subscribers.Audience"/>); absent: everyone.</param>
/// <param name="Segment">Instead of <paramref name="Audience"/>: a saved one's slug, whose audience the alert takes a copy of.</param>
public sealed record AlertRequest(string? Subject, string? BodyMarkdown, string? ActionUrl, string? ActionLabel, List<string>? Lists,
    Dictionary<string, List<string?>?>? Audience = null, string? Segment = null, string? Language = null,
    List<AlertTranslationRequest>? Translations = null)
{
    public const int MaxBodyLength = 100_000;
    public const int MaxTranslations = 50;

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
        var own = errors.Language("language", Language);
        if (Translations is { Count: > MaxTranslations }) errors.Add("translations", $"An alert has at most {MaxTranslations} translations.");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (own is not null) seen.Add(own);
        for (var i = 0; i < (Translations?.Count ?? 0); i++)
        {
            var field = $"translations[{i}]";
            if (Translations![i] is not { } t)
            {
                errors.Add(field, "A translation is an object with 'language', 'subject' and 'bodyMarkdown'.");
                continue;
            }
            var language = errors.Language($"{field}.language", t.Language, required: true);
            errors.Text($"{field}.subject", t.Subject, 300, required: true);
            errors.Text($"{field}.bodyMarkdown", t.BodyMarkdown, MaxBodyLength, required: true);
            errors.Url($"{field}.actionUrl", t.ActionUrl);
            errors.Text($"{field}.actionLabel", t.ActionLabel, 100);
            if (language is not null && !seen.Add(language))
                errors.Add($"{field}.language", $"'{language}' is given twice (or is the alert's own language).");
        }
        return errors;
    }
}

/// <summary>The alert in another language. The action's link defaults to the alert's; its label to "Take action now"
/// in the reader's language.</summary>
public sealed record AlertTranslationRequest(string? Language, string? Subject, string? BodyMarkdown, string? ActionLabel = null, string? ActionUrl = null);

public sealed record AlertTranslationResponse(string Language, string Subject, string BodyMarkdown, string? ActionLabel, string? ActionUrl);

public sealed record TestSendRequest(string? Email);

public sealed record AlertResponse(
    long Id, string Subject, string BodyMarkdown, string? ActionUrl, string? ActionLabel, IReadOnlyList<string> Lists,
    string Status, int Recipients, string CreatedBy, DateTime CreatedAt, string? RequestedBy, DateTime? RequestedAt,
    string? ApprovedBy, DateTime? ApprovedAt, long? DispatchId, bool RequiresApproval,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Audience, string Language, IReadOnlyList<AlertTranslationResponse> Translations);

/// <summary>GET /api/alerts/{id}/audience: how many people it would reach now, and up to five of them.</summary>
public sealed record AlertAudienceResponse(int Count, IReadOnlyList<string> Sample, IReadOnlyDictionary<string, IReadOnlyList<string>>? Audience);

/// <summary>What send and approve answer: {dispatchId, status: "sent"} or {dispatchId: null, status: "pendingApproval"}.</summary>
public sealed record AlertSendResponse(long? DispatchId, string Status);

/// <summary>The alert as a reader of <paramref name="Language"/> gets it.</summary>
public sealed record AlertPreview(string Subject, string Html, string Text, string Language);

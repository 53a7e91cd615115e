using Dispatcher.Hosting;

namespace Dispatcher.Statements;

public sealed record PublishStatementRequest(
    string? Title,
    string? Author,
    DateTime? PublishedAt,
    string? Summary,
    string? BodyHtml,
    string? BodyMarkdown,
    string? Url,
    List<string>? Lists,
    string? ExternalId,
    string? Language = null,
    List<StatementTranslationRequest>? Translations = null,
    Dictionary<string, List<string?>?>? Audience = null,
    string? Segment = null)
{
    public const int MaxBodyLength = 1_000_000;
    public const int MaxTranslations = 50;

    /// <summary>Checks the fields that need no database; list slugs are checked against the lists by the publisher.</summary>
    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        errors.Text("title", Title, 500, required: true);
        errors.Text("author", Author, 200);
        errors.Text("summary", Summary, 5000);
        errors.Text("bodyHtml", BodyHtml, MaxBodyLength);
        errors.Text("bodyMarkdown", BodyMarkdown, MaxBodyLength);
        if (!string.IsNullOrWhiteSpace(BodyHtml) && !string.IsNullOrWhiteSpace(BodyMarkdown))
            errors.Add("bodyMarkdown", "Give 'bodyHtml' or 'bodyMarkdown', not both.");
        errors.Url("url", Url);
        errors.Text("externalId", ExternalId, 500);
        var own = errors.Language("language", Language);
        if (Translations is { Count: > MaxTranslations }) errors.Add("translations", $"A statement has at most {MaxTranslations} translations.");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (own is not null) seen.Add(own);
        for (var i = 0; i < (Translations?.Count ?? 0); i++)
        {
            if (Translations![i] is not { } translation)
            {
                errors.Add($"translations[{i}]", "A translation is an object with 'language' and 'title'.");
                continue;
            }
            var language = translation.Validate(errors, $"translations[{i}]");
            if (language is not null && !seen.Add(language))
                errors.Add($"translations[{i}].language", $"'{language}' is given twice (or is the statement's own language).");
        }
        if (Lists is null || Lists.Count == 0) errors.Add("lists", "'lists' must name at least one list.");
        else
            for (var i = 0; i < Lists.Count; i++)
                if (string.IsNullOrWhiteSpace(Lists[i])) errors.Add($"lists[{i}]", "A list slug is required.");
        return errors;
    }
}

/// <summary>The statement in another language. Author and url default to the statement's own.</summary>
public sealed record StatementTranslationRequest(
    string? Language, string? Title, string? Summary, string? Url, string? Author = null, string? BodyHtml = null, string? BodyMarkdown = null)
{
    /// <summary>Adds this translation's errors under <paramref name="field"/>; returns its language when valid.</summary>
    public string? Validate(ValidationErrors errors, string field)
    {
        var language = errors.Language($"{field}.language", Language, required: true);
        errors.Text($"{field}.title", Title, 500, required: true);
        errors.Text($"{field}.author", Author, 200);
        errors.Text($"{field}.summary", Summary, 5000);
        errors.Text($"{field}.bodyHtml", BodyHtml, PublishStatementRequest.MaxBodyLength);
        errors.Text($"{field}.bodyMarkdown", BodyMarkdown, PublishStatementRequest.MaxBodyLength);
        if (!string.IsNullOrWhiteSpace(BodyHtml) && !string.IsNullOrWhiteSpace(BodyMarkdown))
            errors.Add($"{field}.bodyMarkdown", "Give 'bodyHtml' or 'bodyMarkdown', not both.");
        errors.Url($"{field}.url", Url);
        return language;
    }
}

public sealed record StatementTranslationResponse(string Language, string Title, string? Author, string? Summary, string? Url);

public sealed record PublishStatementResponse(long Id, long? DispatchId);

public sealed record StatementResponse(
    long Id, string? ExternalId, string Title, string? Author, DateTime PublishedAt, string? Summary, string? Url,
    IReadOnlyList<string> Lists, DateTime CreatedAt, string Language, IReadOnlyList<StatementTranslationResponse> Translations,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Audience = null);

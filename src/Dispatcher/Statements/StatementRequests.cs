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
    string? ExternalId)
{
    public const int MaxBodyLength = 1_000_000;

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
        if (Lists is null || Lists.Count == 0) errors.Add("lists", "'lists' must name at least one list.");
        else
            for (var i = 0; i < Lists.Count; i++)
                if (string.IsNullOrWhiteSpace(Lists[i])) errors.Add($"lists[{i}]", "A list slug is required.");
        return errors;
    }
}

public sealed record PublishStatementResponse(long Id, long? DispatchId);

public sealed record StatementResponse(
    long Id, string? ExternalId, string Title, string? Author, DateTime PublishedAt, string? Summary, string? Url,
    IReadOnlyList<string> Lists, DateTime CreatedAt);

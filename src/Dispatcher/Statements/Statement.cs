namespace Dispatcher.Statements;

/// <summary>Who hears of a statement: everyone (at once or in their digest), only digest readers, or nobody (the
/// items a feed already had when it was added: kept, never mailed).</summary>
public enum Distribution
{
    Immediately = 0,
    DigestOnly = 1,
    Archive = 2,
}

/// <summary>What the organisation publishes: a title, author, date, summary, body and a link to the full statement.</summary>
public sealed class Statement
{
    public long Id { get; set; }

    /// <summary>The website's or feed's own id; the same one twice is the same statement.</summary>
    public string? ExternalId { get; set; }

    public required string Title { get; set; }
    public string? Author { get; set; }
    public DateTime PublishedAt { get; set; }
    public string? Summary { get; set; }

    /// <summary>Sanitised HTML (from bodyHtml or rendered from bodyMarkdown).</summary>
    public string? BodyHtml { get; set; }

    public string? Url { get; set; }
    public Distribution Distribution { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<StatementList> Lists { get; set; } = [];
}

public sealed class StatementList
{
    public long StatementId { get; set; }
    public int ListId { get; set; }
}

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

    /// <summary>The language it is written in (BCP 47); null: Dispatcher:DefaultLanguage.</summary>
    public string? Language { get; set; }

    /// <summary>Who of its lists' people get it (at once or in their digest), by their attributes.</summary>
    public Subscribers.Audience Audience
    {
        get => Subscribers.Audience.FromJson(AudienceJson);
        set => AudienceJson = value.ToJson();
    }

    /// <summary><see cref="Audience"/> as stored: null for everyone.</summary>
    public string? AudienceJson { get; set; }

    public List<StatementList> Lists { get; set; } = [];

    /// <summary>The same statement in other languages: each reader gets theirs, else this one.</summary>
    public List<StatementTranslation> Translations { get; set; } = [];

    /// <summary>What a reader of <paramref name="readerLanguage"/> gets: the translation into their language (or another
    /// region's form of it), else the statement as written. <paramref name="ownLanguage"/>: its language (the default
    /// when it has none).</summary>
    public StatementText For(string readerLanguage, string ownLanguage)
    {
        var own = Language ?? ownLanguage;
        return Hosting.ReaderLocale.TranslationFor(readerLanguage, own, Translations, t => t.Language) is { } t
            ? new StatementText(t.Language, t.Title, t.Author ?? Author, t.Summary, t.BodyHtml, t.Url ?? Url)
            : new StatementText(own, Title, Author, Summary, BodyHtml, Url);
    }
}

/// <summary>A statement in one language, as a reader gets it.</summary>
public sealed record StatementText(string Language, string Title, string? Author, string? Summary, string? BodyHtml, string? Url);

/// <summary>A statement in another language (from the API, the admin form, or a feed in that language).</summary>
public sealed class StatementTranslation
{
    public long StatementId { get; set; }
    public required string Language { get; set; }
    public required string Title { get; set; }

    /// <summary>Null: the statement's own (the translator is often named in the summary or body instead).</summary>
    public string? Author { get; set; }

    public string? Summary { get; set; }

    /// <summary>Sanitised HTML, like the statement's.</summary>
    public string? BodyHtml { get; set; }

    /// <summary>The translation's page; null: the statement's own link.</summary>
    public string? Url { get; set; }
}

public sealed class StatementList
{
    public long StatementId { get; set; }
    public int ListId { get; set; }
}

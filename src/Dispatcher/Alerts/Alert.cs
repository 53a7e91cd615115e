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

    /// <summary>When those who may approve it were emailed (or found to be nobody); null while a request waits to be told.</summary>
    public DateTime? ApproversToldAt { get; set; }
    public string? ApprovedBy { get; set; }
    public DateTime? ApprovedAt { get; set; }
    public long? DispatchId { get; set; }

    /// <summary>The language it is written in (BCP 47); null: Dispatcher:DefaultLanguage.</summary>
    public string? Language { get; set; }

    /// <summary>The alert in other languages: each reader gets theirs, else this one.</summary>
    public List<AlertTranslation> Translations { get; set; } = [];

    /// <summary>What a reader of <paramref name="readerLanguage"/> gets: their language's translation (or another
    /// region's form of it), else the alert as written. <paramref name="ownLanguage"/>: its language when it has none.</summary>
    public AlertText For(string readerLanguage, string ownLanguage)
    {
        var own = Language ?? ownLanguage;
        return Hosting.ReaderLocale.TranslationFor(readerLanguage, own, Translations, t => t.Language) is { } t
            ? new AlertText(t.Language, t.Subject, t.BodyMarkdown, t.BodyHtml, t.ActionUrl ?? ActionUrl, t.ActionLabel)
            : new AlertText(own, Subject, BodyMarkdown, BodyHtml, ActionUrl, ActionLabel);
    }
}

/// <summary>An alert in one language, as a reader gets it.</summary>
public sealed record AlertText(string Language, string Subject, string BodyMarkdown, string BodyHtml, string? ActionUrl, string? ActionLabel);

/// <summary>An alert in another language.</summary>
public sealed class AlertTranslation
{
    public long AlertId { get; set; }
    public required string Language { get; set; }
    public required string Subject { get; set; }
    public required string BodyMarkdown { get; set; }

    /// <summary>Rendered from BodyMarkdown and sanitised, like the alert's.</summary>
    public required string BodyHtml { get; set; }

    /// <summary>Null: the alert's own link.</summary>
    public string? ActionUrl { get; set; }

    /// <summary>Null: "Take action now" in the reader's language.</summary>
    public string? ActionLabel { get; set; }
}

public sealed class AlertList
{
    public long AlertId { get; set; }
    public int ListId { get; set; }
}

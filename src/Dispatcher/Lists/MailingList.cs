namespace Dispatcher.Lists;

/// <summary>A list people subscribe to; statements and alerts target lists.</summary>
public sealed class MailingList
{
    public int Id { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }

    /// <summary>Markdown shown at the top of this list's statements and alerts (sanitised when rendered).</summary>
    public string? Introduction { get; set; }

    /// <summary>Shown on the public sign-up page.</summary>
    public bool Public { get; set; } = true;

    /// <summary>New sign-ups must confirm by email before anything else is sent.</summary>
    public bool DoubleOptIn { get; set; } = true;

    /// <summary>Alerts to this list need a second person's approval.</summary>
    public bool RequireApproval { get; set; }

    /// <summary>The subject of the email a subscriber gets once, when their subscription is confirmed; null: none.</summary>
    public string? WelcomeSubject { get; set; }

    /// <summary>That email's text, in Markdown (sanitised when rendered).</summary>
    public string? WelcomeMarkdown { get; set; }

    public bool Welcomes => !string.IsNullOrWhiteSpace(WelcomeSubject) && !string.IsNullOrWhiteSpace(WelcomeMarkdown);

    /// <summary>The welcome in other languages, as stored (JSON); null: none.</summary>
    public string? WelcomeTranslationsJson { get; set; }

    /// <summary>The welcome in other languages: each new reader gets theirs, else <see cref="WelcomeSubject"/>'s.</summary>
    public IReadOnlyCollection<WelcomeTranslation> WelcomeTranslations
    {
        get => WelcomeTranslationsJson is null ? [] : System.Text.Json.JsonSerializer.Deserialize<List<WelcomeTranslation>>(WelcomeTranslationsJson) ?? [];
        set => WelcomeTranslationsJson = value.Count == 0 ? null : System.Text.Json.JsonSerializer.Serialize(value);
    }

    /// <summary>The welcome for a reader of <paramref name="language"/>: their translation (or another region's form of
    /// it), else the list's own (written in <paramref name="ownLanguage"/>).</summary>
    public (string Subject, string Markdown) WelcomeIn(string language, string ownLanguage) =>
        Hosting.ReaderLocale.TranslationFor(language, ownLanguage, WelcomeTranslations, t => t.Language) is { } t
            ? (t.Subject, t.Markdown)
            : (WelcomeSubject!.Trim(), WelcomeMarkdown!);

    /// <summary>Attributes its sign-up form asks for ("country", "city"), as stored: names joined by commas.</summary>
    public string? AskForNames { get; set; }

    /// <summary>Attributes its sign-up form asks for, in order (see <see cref="AskForNames"/>).</summary>
    public IReadOnlyList<string> AskFor
    {
        get => AskForNames?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [];
        set => AskForNames = value.Count == 0 ? null : string.Join(',', value);
    }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A list's welcome in one language.</summary>
public sealed record WelcomeTranslation(string Language, string Subject, string Markdown);

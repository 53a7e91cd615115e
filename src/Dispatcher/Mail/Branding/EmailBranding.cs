namespace Dispatcher.Mail.Branding;

/// <summary>What an organisation changes about its emails — name, logo, colours, footer (the postal address bulk
/// senders must show) — kept as data that the templates render. Never template source: templates are code, shipped
/// and reviewed with the app (see docs/security). One row.</summary>
public sealed class EmailBranding
{
    public const int SingleId = 1;

    public int Id { get; set; } = SingleId;
    public string? OrganisationName { get; set; }
    public string? LogoUrl { get; set; }
    public string? AccentColour { get; set; }
    public string? BackgroundColour { get; set; }

    /// <summary>Markdown, sanitised when rendered (links and emphasis, no HTML).</summary>
    public string? FooterMarkdown { get; set; }

    public DateTime UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

/// <summary>A block of text in one email template (<see cref="EmailTexts"/>), in Markdown, sanitised when rendered.</summary>
public sealed class EmailText
{
    public required string Template { get; set; }
    public required string Block { get; set; }
    public required string Markdown { get; set; }
    public DateTime UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}

/// <summary>The text blocks each template renders: an introduction above its content and a closing below it.</summary>
public static class EmailTexts
{
    public static readonly IReadOnlyList<string> Templates = ["Statement", "Alert", "Digest", "Confirmation", "AlreadySubscribed", "Welcome"];
    public static readonly IReadOnlyList<string> Blocks = ["Introduction", "Closing"];

    /// <summary>"Statement.Introduction", … — the names the form and the API use.</summary>
    public static IEnumerable<string> Keys => Templates.SelectMany(t => Blocks.Select(b => $"{t}.{b}"));

    public const int MaxMarkdown = 5000;
}

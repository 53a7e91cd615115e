using Dispatcher.Content;

namespace Dispatcher.Mail.Branding;

/// <summary>The branding as templates see it: plain values that Razor encodes where it writes them, colours that are
/// checked to be colours, and HTML that is the sanitised rendering of Markdown (written with @Raw).</summary>
public sealed record Brand(
    string OrganisationName,
    string? LogoUrl,
    string AccentColour,
    string BackgroundColour,
    string FooterHtml,
    IReadOnlyDictionary<string, TemplateTexts> Texts)
{
    public const string DefaultAccent = "#b3001b";
    public const string DefaultBackground = "#f3f3f1";

    public static Brand Default(string organisationName) =>
        new(organisationName, null, DefaultAccent, DefaultBackground, "", new Dictionary<string, TemplateTexts>());

    public TemplateTexts TextsFor(string template) => Texts.GetValueOrDefault(template) ?? TemplateTexts.None;

    /// <summary>From what is stored (or typed into the form, for its preview); <paramref name="fallbackName"/> is Mail:FromName.</summary>
    public static Brand From(EmailBranding? row, IEnumerable<EmailText> texts, string fallbackName)
    {
        var byTemplate = texts.GroupBy(t => t.Template).ToDictionary(g => g.Key, g => new TemplateTexts(
            Html(g.FirstOrDefault(t => t.Block == "Introduction")?.Markdown), Html(g.FirstOrDefault(t => t.Block == "Closing")?.Markdown)));
        return new Brand(
            string.IsNullOrWhiteSpace(row?.OrganisationName) ? fallbackName : row.OrganisationName.Trim(),
            row?.LogoUrl?.Trim() is { } logo && logo.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? logo : null,
            BrandingInput.IsColour(row?.AccentColour) ? row!.AccentColour!.ToLowerInvariant() : DefaultAccent,
            BrandingInput.IsColour(row?.BackgroundColour) ? row!.BackgroundColour!.ToLowerInvariant() : DefaultBackground,
            Html(row?.FooterMarkdown),
            byTemplate);
    }

    public static string Html(string? markdown) => string.IsNullOrWhiteSpace(markdown) ? "" : SafeHtml.FromMarkdown(markdown);
}

/// <summary>One template's text blocks, as sanitised HTML ("" when none).</summary>
public sealed record TemplateTexts(string Introduction, string Closing)
{
    public static readonly TemplateTexts None = new("", "");
}

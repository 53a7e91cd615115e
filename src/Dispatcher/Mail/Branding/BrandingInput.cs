using System.Text.RegularExpressions;
using Dispatcher.Hosting;

namespace Dispatcher.Mail.Branding;

/// <summary>The branding as the admin form (and the API) send it; <see cref="Validate"/> names each bad field.</summary>
public sealed partial record BrandingInput(
    string? OrganisationName,
    string? LogoUrl,
    string? AccentColour,
    string? BackgroundColour,
    string? FooterMarkdown,
    Dictionary<string, string?>? Texts)
{
    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        errors.Text("organisationName", OrganisationName, 200);
        if (errors.Url("logoUrl", LogoUrl) is { } logo && !logo.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            errors.Add("logoUrl", "'logoUrl' must be an https URL: mail clients refuse or warn about images over plain http.");
        if (!string.IsNullOrWhiteSpace(AccentColour) && !IsColour(AccentColour)) errors.Add("accentColour", "'accentColour' must be a colour like #b3001b.");
        if (!string.IsNullOrWhiteSpace(BackgroundColour) && !IsColour(BackgroundColour)) errors.Add("backgroundColour", "'backgroundColour' must be a colour like #f3f3f1.");
        errors.Text("footerMarkdown", FooterMarkdown, EmailTexts.MaxMarkdown);
        foreach (var (key, value) in Texts ?? [])
            if (!EmailTexts.Keys.Contains(key)) errors.Add($"texts.{key}", $"There is no text block '{key}'; the blocks are {string.Join(", ", EmailTexts.Keys)}.");
            else errors.Text($"texts.{key}", value, EmailTexts.MaxMarkdown);
        return errors;
    }

    /// <summary>Six hex digits and nothing else: the value goes into the emails' CSS.</summary>
    public static bool IsColour(string? value) => value is not null && Colour().IsMatch(value.Trim());

    public EmailBranding ToRow() => new()
    {
        OrganisationName = Trimmed(OrganisationName),
        LogoUrl = Trimmed(LogoUrl),
        AccentColour = Trimmed(AccentColour)?.ToLowerInvariant(),
        BackgroundColour = Trimmed(BackgroundColour)?.ToLowerInvariant(),
        FooterMarkdown = Trimmed(FooterMarkdown),
    };

    public IEnumerable<EmailText> ToTexts(string updatedBy, DateTime now) =>
        (Texts ?? []).Where(t => !string.IsNullOrWhiteSpace(t.Value)).Select(t => new EmailText
        {
            Template = t.Key[..t.Key.IndexOf('.')], Block = t.Key[(t.Key.IndexOf('.') + 1)..], Markdown = t.Value!.Trim(),
            UpdatedBy = updatedBy, UpdatedAt = now,
        });

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex Colour();
}

using System.Globalization;
using Dispatcher.Mail.Branding;
using Microsoft.Extensions.Localization;

namespace Dispatcher.Mail;

/// <summary>What every email template gets. Templates are compiled once per dispatch, so the recipient's fields are
/// placeholders filled in per person afterwards: branch on <see cref="EmailRecipient.HasName"/>, never on the values.</summary>
public abstract class EmailModel
{
    public required EmailRecipient Recipient { get; init; }

    /// <summary>Name, logo, colours, footer: the organisation's branding, set by the renderer (see <see cref="Branding.Brand"/>).</summary>
    public Brand Brand { get; set; } = Unbranded;

    private static readonly Brand Unbranded = Brand.Default("Dispatcher");

    /// <summary>This template's text blocks (sanitised HTML), set by the renderer.</summary>
    public TemplateTexts Texts { get; set; } = TemplateTexts.None;

    /// <summary>The reader's language (BCP 47), set by the renderer: the fixed words (<see cref="T(string, object[])"/>),
    /// the email's lang and dir, dates.</summary>
    public string Language { get; set; } = "en";

    /// <summary>The language the content itself is in (a statement without a translation into the reader's language
    /// is sent in its own); the reader's when not set.</summary>
    public string? ContentLanguage { get; init; }

    public CultureInfo Culture => CultureInfo.GetCultureInfo(Language);

    /// <summary>"rtl" for Arabic, Hebrew, Persian, …; else "ltr".</summary>
    public string Direction => DirectionOf(Language);

    public string ContentDirection => DirectionOf(ContentLanguage ?? Language);

    public static string DirectionOf(string language) => Hosting.FixedWords.DirectionOf(language);

    /// <summary>The fixed words in the reader's language, set by the renderer (see <see cref="EmailWords"/>).</summary>
    internal IStringLocalizer Words { get; set; } = EmailWords.For("en");

    /// <summary>A fixed text in the reader's language: <c>@Model.T("Read the full statement")</c>,
    /// <c>@Model.T("Welcome to {0}", Model.ListName)</c>. Encoded like any other text when written.</summary>
    public string T(string english, params object[] arguments) => arguments.Length == 0 ? Words[english] : Words[english, arguments];

    /// <summary>A date as the reader's language writes it in full: "Wednesday 2 December 2026" in English (the day
    /// first, as most of the world reads it, not the United States' order), "2 Aralık 2026 Çarşamba" in Turkish.</summary>
    public string LongDate(DateTime date) => Culture.TwoLetterISOLanguageName == "en"
        ? date.ToString("dddd d MMMM yyyy", CultureInfo.InvariantCulture)
        : date.ToString("D", Culture);

    /// <summary>Who the mail is from: the branding's organisation name, else Mail:FromName.</summary>
    public string OrganisationName => Brand.OrganisationName;

    public required string PublicBaseUrl { get; init; }

    /// <summary>The list this person gets the mail through.</summary>
    public string? ListName { get; init; }

    /// <summary>The list's introduction, in Markdown (an admin's words: rendered sanitised, see <see cref="ListIntroductionHtml"/>).</summary>
    public string? ListIntroduction { get; init; }

    public string ListIntroductionHtml => Brand.Html(ListIntroduction);

    /// <summary>The short text mail clients show after the subject.</summary>
    public string? Preheader { get; init; }

    /// <summary>Confirmations go to one person who asked for them: no unsubscribe footer.</summary>
    public virtual bool IsBulk => true;
}

/// <summary>The person a message is for. HTML-encoded when filled in, like anything else in a template.</summary>
public sealed class EmailRecipient
{
    public required string Name { get; init; }
    public required bool HasName { get; init; }
    public required string Email { get; init; }
    public required string UnsubscribeUrl { get; init; }
    public required string PreferencesUrl { get; init; }

    /// <summary>The double opt-in link (confirmation emails only).</summary>
    public required string ConfirmUrl { get; init; }
}

using Dispatcher.Mail.Branding;

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

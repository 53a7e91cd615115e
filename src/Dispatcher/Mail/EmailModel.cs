namespace Dispatcher.Mail;

/// <summary>What every email template gets. Templates are compiled once per dispatch, so the recipient's fields are
/// placeholders filled in per person afterwards: branch on <see cref="EmailRecipient.HasName"/>, never on the values.</summary>
public abstract class EmailModel
{
    public required EmailRecipient Recipient { get; init; }

    /// <summary>Who the mail is from (Mail:FromName) and the public site.</summary>
    public required string OrganisationName { get; init; }

    public required string PublicBaseUrl { get; init; }

    /// <summary>The list this person gets the mail through.</summary>
    public string? ListName { get; init; }

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

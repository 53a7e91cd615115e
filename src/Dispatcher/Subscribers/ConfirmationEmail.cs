using Dispatcher.Mail;

namespace Dispatcher.Subscribers;

/// <summary>The model of templates/Confirmation.cshtml (please confirm) and templates/AlreadySubscribed.cshtml
/// (someone signed this address up again: the mail, not the page, tells them it was known).</summary>
public sealed class ConfirmationEmail : EmailModel
{
    public required string ListDescription { get; init; }

    public required int ExpiresInDays { get; init; }

    public override bool IsBulk => false;
}

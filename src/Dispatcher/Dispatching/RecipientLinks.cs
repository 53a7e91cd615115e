using Dispatcher.Mail;
using Dispatcher.Subscribers;

namespace Dispatcher.Dispatching;

/// <summary>Fills a compiled email in for one person of a list: their signed unsubscribe and preferences links (in the
/// footer and the List-Unsubscribe header), their name, and the Message-ID that is the same whenever they are sent this dispatch.</summary>
public sealed class RecipientLinks(SubscriberTokens tokens, PublicUrls urls, ReturnPaths returnPaths)
{
    /// <param name="unsubscribeScope">What the unsubscribe link leaves: the delivery's list unless given (a digest's cadence).</param>
    public OutgoingMessage Message(long dispatchId, DeliveryRecipient recipient, CompiledEmail email, ListIdentity list, int? unsubscribeScope = null)
    {
        var subscriberId = recipient.SubscriberId ?? throw new InvalidOperationException("An erased person has no links.");
        var unsubscribeToken = tokens.Create(TokenPurpose.Unsubscribe, subscriberId, unsubscribeScope ?? recipient.ListId);
        var unsubscribeUrl = urls.Unsubscribe(unsubscribeToken);
        var preferencesUrl = urls.Preferences(tokens.Create(TokenPurpose.Preferences, subscriberId));

        return new OutgoingMessage
        {
            Subject = email.Subject,
            Body = email.Personalise(new Personalisation(recipient.Name, recipient.Email!, unsubscribeUrl, preferencesUrl)),
            ToAddress = recipient.Email!,
            ToName = recipient.Name,
            MessageId = returnPaths.MessageId(dispatchId, subscriberId),
            List = list,
            UnsubscribeUrl = unsubscribeUrl,
            // Reaches the bounce mailbox, whose reader unsubscribes on it (see MailboxReports).
            UnsubscribeMailto = $"mailto:{returnPaths.BounceAddress}?subject=unsubscribe%20{unsubscribeToken}",
        };
    }

    /// <summary>A message to one person about their own sign-up: a confirmation link that expires, no list headers.</summary>
    public OutgoingMessage Confirmation(long dispatchId, DeliveryRecipient recipient, CompiledEmail email, DateTimeOffset expires)
    {
        var subscriberId = recipient.SubscriberId ?? throw new InvalidOperationException("An erased person has no links.");
        var confirmUrl = urls.Confirm(tokens.Create(TokenPurpose.Confirm, subscriberId, recipient.ListId, expires));
        var preferencesUrl = urls.Preferences(tokens.Create(TokenPurpose.Preferences, subscriberId));
        return new OutgoingMessage
        {
            Subject = email.Subject,
            Body = email.Personalise(new Personalisation(recipient.Name, recipient.Email!, "", preferencesUrl, confirmUrl)),
            ToAddress = recipient.Email!,
            ToName = recipient.Name,
            MessageId = returnPaths.MessageId(dispatchId, subscriberId),
            Bulk = false,
        };
    }
}

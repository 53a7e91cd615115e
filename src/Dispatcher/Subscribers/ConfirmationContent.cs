using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Subscribers;

/// <summary>Confirmation emails: "please confirm" to someone still unconfirmed, "you are already subscribed" to
/// someone who signed up again. Not bulk mail: no list headers, no Precedence.</summary>
public sealed class ConfirmationContent(
    DispatcherDb db,
    EmailRenderer renderer,
    RecipientLinks links,
    PublicUrls urls,
    TimeProvider clock,
    IOptions<SubscribersOptions> options,
    IOptions<Hosting.DispatcherOptions> readers) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Confirmation;

    /// <summary>A dispatch without deliveries: no lists, nothing rendered.</summary>
    public Task WarmUpAsync(CancellationToken cancellationToken) => PrepareAsync(new Dispatch { Kind = Kind }, cancellationToken);

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var lists = (await Confirmations.ListsOfAsync(db, dispatch.Id, cancellationToken)).ToDictionary(l => l.Id);
        var days = (int)Math.Round(options.Value.ConfirmationExpiry.TotalDays);

        // In the reader's language; not kept with the dispatch: each goes to one person, who is usually waiting for it.
        DispatchEmailSet Emails(string template, string subject) => new(dispatch.Id, keep: false, clock, key =>
        {
            var list = lists[key.ListId];
            var words = EmailWords.For(key.Language);
            return renderer.CompileAsync(template, words[subject, list.Name], recipient => new ConfirmationEmail
            {
                Recipient = recipient,
                PublicBaseUrl = urls.Base,
                ListName = list.Name,
                ListDescription = list.Description ?? "",
                ExpiresInDays = days,
                Preheader = words["Confirm that you want {0}", list.Name],
            }, key.Language);
        });
        return new Prepared(dispatch.Id, Emails("Confirmation", "Confirm your subscription to {0}"),
            Emails("AlreadySubscribed", "You are already subscribed to {0}"), lists.Keys.ToHashSet(), links,
            () => clock.GetUtcNow() + options.Value.ConfirmationExpiry, readers.Value.LanguageOf);
    }

    private sealed class Prepared(long dispatchId, DispatchEmailSet confirm, DispatchEmailSet known, HashSet<int> lists,
        RecipientLinks links, Func<DateTimeOffset> expiry, Func<string?, string> languageOf) : PerListContent(languageOf)
    {
        public override bool StillWanted(DeliveryRecipient recipient) =>
            recipient.Status is SubscriptionStatus.Unconfirmed or SubscriptionStatus.Confirmed && lists.Contains(recipient.ListId);

        protected override DispatchEmailSet EmailsFor(DeliveryRecipient recipient) =>
            recipient.Status == SubscriptionStatus.Confirmed ? known : confirm;

        protected override OutgoingMessage MessageFor(DeliveryRecipient recipient) =>
            links.Confirmation(dispatchId, recipient, EmailFor(recipient), expiry());
    }
}

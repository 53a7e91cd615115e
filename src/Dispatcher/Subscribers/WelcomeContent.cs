using Dispatcher.Content;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

/// <summary>The model of templates/Welcome.cshtml: a list's own words to someone who has just joined it.</summary>
public sealed class WelcomeEmail : EmailModel
{
    public required string Subject { get; init; }

    /// <summary>The list's welcome Markdown, sanitised; written with @Raw.</summary>
    public required string BodyHtml { get; init; }
}

/// <summary>Welcome emails: each list's, as it is when the dispatch is prepared, to those of its new subscribers who are
/// still confirmed when their turn comes. With the list's headers and an unsubscribe link, like its other mail.</summary>
public sealed class WelcomeContent(DispatcherDb db, EmailRenderer renderer, RecipientLinks links, PublicUrls urls) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Welcome;

    /// <summary>A dispatch without deliveries: no lists, nothing rendered.</summary>
    public Task WarmUpAsync(CancellationToken cancellationToken) => PrepareAsync(new Dispatch { Kind = Kind }, cancellationToken);

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var lists = await Confirmations.ListsOfAsync(db, dispatch.Id, cancellationToken);
        var perList = new Dictionary<int, (CompiledEmail Email, ListIdentity List)>();
        foreach (var list in lists.Where(l => l.Welcomes))
            perList[list.Id] = (await renderer.CompileAsync("Welcome", list.WelcomeSubject!.Trim(), recipient => new WelcomeEmail
            {
                Recipient = recipient,
                PublicBaseUrl = urls.Base,
                ListName = list.Name,
                Subject = list.WelcomeSubject!.Trim(),
                BodyHtml = SafeHtml.FromMarkdown(list.WelcomeMarkdown!),
                Preheader = $"Welcome to {list.Name}",
            }), new ListIdentity(list.Slug, list.Name));
        return new Prepared(dispatch.Id, perList, links);
    }

    private sealed class Prepared(long dispatchId, Dictionary<int, (CompiledEmail Email, ListIdentity List)> perList, RecipientLinks links) : PerListContent
    {
        // A list whose welcome was removed meanwhile sends none.
        public override bool StillWanted(DeliveryRecipient recipient) =>
            recipient.Status == SubscriptionStatus.Confirmed && perList.ContainsKey(recipient.ListId);

        protected override OutgoingMessage MessageFor(DeliveryRecipient recipient)
        {
            var (email, list) = perList[recipient.ListId];
            return links.Message(dispatchId, recipient, email, list);
        }
    }
}

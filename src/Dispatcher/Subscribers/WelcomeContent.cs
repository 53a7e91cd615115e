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
public sealed class WelcomeContent(DispatcherDb db, EmailRenderer renderer, RecipientLinks links, PublicUrls urls, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Hosting.DispatcherOptions> readers) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Welcome;

    /// <summary>A dispatch without deliveries: no lists, nothing rendered.</summary>
    public Task WarmUpAsync(CancellationToken cancellationToken) => PrepareAsync(new Dispatch { Kind = Kind }, cancellationToken);

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var lists = (await Confirmations.ListsOfAsync(db, dispatch.Id, cancellationToken)).Where(l => l.Welcomes).ToDictionary(l => l.Id);
        var emails = new DispatchEmailSet(dispatch.Id, keep: false, clock, key =>
        {
            var list = lists[key.ListId];
            var (subject, markdown) = list.WelcomeIn(key.Language, readers.Value.LanguageOf(null));
            return renderer.CompileAsync("Welcome", subject, recipient => new WelcomeEmail
            {
                Recipient = recipient,
                PublicBaseUrl = urls.Base,
                ListName = list.Name,
                Subject = subject,
                BodyHtml = SafeHtml.FromMarkdown(markdown),
                Preheader = EmailWords.For(key.Language)["Welcome to {0}", list.Name],
            }, key.Language);
        });
        return new Prepared(dispatch.Id, emails, lists.ToDictionary(l => l.Key, l => new ListIdentity(l.Value.Slug, l.Value.Name)), links,
            readers.Value.LanguageOf);
    }

    private sealed class Prepared(long dispatchId, DispatchEmailSet emails, Dictionary<int, ListIdentity> lists, RecipientLinks links,
        Func<string?, string> languageOf) : ListMessageContent(dispatchId, emails, lists, links, languageOf)
    {
        // A list whose welcome was removed meanwhile sends none.
        public override bool StillWanted(DeliveryRecipient recipient) => recipient.Status == SubscriptionStatus.Confirmed && HasList(recipient);
    }
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Hosting;
using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Statements;

/// <summary>The statement email: templates/Statement.cshtml, rendered once per dispatch, list and reader language —
/// the translation into the reader's language when there is one, else the statement as written, with the fixed words
/// in their language — and kept with the dispatch (see <see cref="DispatchEmail"/>).</summary>
public sealed class StatementContent(
    DispatcherDb db,
    EmailRenderer renderer,
    RecipientLinks links,
    PublicUrls urls,
    DispatchLanguages readerLanguages,
    TimeProvider clock,
    IOptions<DispatcherOptions> options) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Statement;

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var statement = await StatementOfAsync(dispatch.StatementId, cancellationToken)
                        ?? throw new InvalidOperationException($"Statement {dispatch.StatementId} of dispatch {dispatch.Id} does not exist.");
        var lists = (await ListsOfAsync(statement.Lists.Select(l => l.ListId).ToList(), cancellationToken)).ToDictionary(l => l.Id);
        var ownLanguage = options.Value.LanguageOf(null);

        var emails = new DispatchEmailSet(dispatch.Id, keep: true, clock, key =>
        {
            var list = lists[key.ListId];
            var text = statement.For(key.Language, ownLanguage);
            return renderer.CompileAsync("Statement", text.Title, recipient => new StatementEmail
            {
                Recipient = recipient,
                PublicBaseUrl = urls.Base,
                ListName = list.Name,
                ListIntroduction = list.Introduction,
                Preheader = text.Summary,
                ContentLanguage = text.Language,
                Title = text.Title,
                Author = text.Author,
                PublishedAt = statement.PublishedAt,
                Summary = text.Summary,
                BodyHtml = text.BodyHtml,
                Url = text.Url,
            }, key.Language);
        });
        // Every language its readers have, now: in the Web process that publishes it, so workers need no compiler.
        var languages = await readerLanguages.OnListsAsync(lists.Keys, cancellationToken);
        await emails.LoadAsync(db, lists.Keys.SelectMany(id => languages.Select(l => new EmailKey(id, l))), cancellationToken);
        return new Prepared(dispatch.Id, emails, lists.ToDictionary(l => l.Key, l => new ListIdentity(l.Value.Slug, l.Value.Name)), links,
            options.Value.LanguageOf);
    }

    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await StatementOfAsync(0, cancellationToken);
        await ListsOfAsync([], cancellationToken);
        await readerLanguages.OnListsAsync([], cancellationToken);
        await StatementDeliveryPlan.AudienceOfAsync(db, 0, cancellationToken); // planning's
    }

    private Task<Statement?> StatementOfAsync(long? id, CancellationToken cancellationToken) =>
        db.Statements.AsNoTracking().Include(s => s.Lists).Include(s => s.Translations).AsSplitQuery()
            .SingleOrDefaultAsync(s => s.Id == id, cancellationToken);

    private Task<List<Lists.MailingList>> ListsOfAsync(List<int> ids, CancellationToken cancellationToken) =>
        db.Lists.AsNoTracking().Where(l => ids.Contains(l.Id)).ToListAsync(cancellationToken);

    private sealed class Prepared(long dispatchId, DispatchEmailSet emails, Dictionary<int, ListIdentity> lists, RecipientLinks links,
        Func<string?, string> languageOf) : ListMessageContent(dispatchId, emails, lists, links, languageOf)
    {
        public override bool StillWanted(DeliveryRecipient recipient) => recipient.Status == SubscriptionStatus.Confirmed && HasList(recipient);
    }
}

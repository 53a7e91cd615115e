using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Statements;

/// <summary>The statement email: templates/Statement.cshtml, rendered once per dispatch and list and kept with the
/// dispatch (see <see cref="DispatchEmail"/>).</summary>
public sealed class StatementContent(
    DispatcherDb db,
    DispatchEmails emails,
    EmailRenderer renderer,
    RecipientLinks links,
    PublicUrls urls) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Statement;

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var statement = await StatementOfAsync(dispatch.StatementId, cancellationToken)
                        ?? throw new InvalidOperationException($"Statement {dispatch.StatementId} of dispatch {dispatch.Id} does not exist.");
        var lists = await ListsOfAsync(statement.Lists.Select(l => l.ListId).ToList(), cancellationToken);

        var perList = await emails.PerListAsync(dispatch.Id, lists, list => renderer.CompileAsync("Statement", statement.Title,
            recipient => new StatementEmail
            {
                Recipient = recipient,
                PublicBaseUrl = urls.Base,
                ListName = list.Name,
                ListIntroduction = list.Introduction,
                Preheader = statement.Summary,
                Title = statement.Title,
                Author = statement.Author,
                PublishedAt = statement.PublishedAt,
                Summary = statement.Summary,
                BodyHtml = statement.BodyHtml,
                Url = statement.Url,
            }), cancellationToken);
        return new Prepared(dispatch.Id, perList, links);
    }

    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await StatementOfAsync(0, cancellationToken);
        await ListsOfAsync([], cancellationToken);
    }

    private Task<Statement?> StatementOfAsync(long? id, CancellationToken cancellationToken) =>
        db.Statements.AsNoTracking().Include(s => s.Lists).SingleOrDefaultAsync(s => s.Id == id, cancellationToken);

    private Task<List<Lists.MailingList>> ListsOfAsync(List<int> ids, CancellationToken cancellationToken) =>
        db.Lists.AsNoTracking().Where(l => ids.Contains(l.Id)).ToListAsync(cancellationToken);

    private sealed class Prepared(long dispatchId, Dictionary<int, (CompiledEmail Email, ListIdentity List)> perList, RecipientLinks links) : PerListContent
    {
        public override bool StillWanted(DeliveryRecipient recipient) => recipient.Status == SubscriptionStatus.Confirmed;

        protected override OutgoingMessage MessageFor(DeliveryRecipient recipient)
        {
            var (email, list) = perList[recipient.ListId];
            return links.Message(dispatchId, recipient, email, list);
        }
    }
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Alerts;

/// <summary>The alert email: templates/Alert.cshtml, rendered once per dispatch and list and kept with the dispatch
/// (see <see cref="DispatchEmail"/>). Also what the preview and the test send show, so the approver sees exactly what
/// goes out.</summary>
public sealed class AlertContent(
    DispatcherDb db,
    DispatchEmails emails,
    EmailRenderer renderer,
    RecipientLinks links,
    PublicUrls urls) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Alert;

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var alert = await AlertOfAsync(dispatch.AlertId, cancellationToken)
                    ?? throw new InvalidOperationException($"Alert {dispatch.AlertId} of dispatch {dispatch.Id} does not exist.");
        var perList = await emails.PerListAsync(dispatch.Id, await ListsOfAsync(alert, cancellationToken), list => CompileAsync(alert, list), cancellationToken);
        return new Prepared(dispatch.Id, perList, links);
    }

    private Task<Alert?> AlertOfAsync(long? id, CancellationToken cancellationToken) =>
        db.Alerts.AsNoTracking().Include(a => a.Lists).SingleOrDefaultAsync(a => a.Id == id, cancellationToken);

    /// <summary>The newest alert's id, for the warm-up's reads (see Dispatching.SendPathWarmUp); 0 when there is none.</summary>
    internal static async Task<long> NewestAlertAsync(DispatcherDb db, CancellationToken cancellationToken) =>
        await db.Alerts.MaxAsync(a => (long?)a.Id, cancellationToken) ?? 0;

    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await AlertOfAsync(await NewestAlertAsync(db, cancellationToken), cancellationToken); // read only
        await AlertRecipients.AudienceOfAsync(db, 0, cancellationToken); // planning's
        await ListsOfAsync(new Alert { Subject = "", BodyMarkdown = "", BodyHtml = "", CreatedBy = "" }, cancellationToken);
    }

    /// <param name="list">The list it goes to; null: the first of its lists is not known yet (a draft without lists).</param>
    public Task<CompiledEmail> CompileAsync(Alert alert, Lists.MailingList? list) =>
        renderer.CompileAsync("Alert", alert.Subject, recipient => new AlertEmail
        {
            Recipient = recipient,
            PublicBaseUrl = urls.Base,
            ListName = list?.Name ?? "our mailing list",
            ListIntroduction = list?.Introduction,
            Preheader = PlainStart(alert.BodyMarkdown),
            Subject = alert.Subject,
            BodyHtml = alert.BodyHtml,
            ActionUrl = alert.ActionUrl,
            ActionLabel = alert.ActionLabel,
        });

    public async Task<List<Lists.MailingList>> ListsOfAsync(Alert alert, CancellationToken cancellationToken)
    {
        var ids = alert.Lists.Select(l => l.ListId).ToList();
        return await db.Lists.AsNoTracking().Where(l => ids.Contains(l.Id)).OrderBy(l => l.Name).ToListAsync(cancellationToken);
    }

    /// <summary>The first words of the alert, for the preview text mail clients show after the subject.</summary>
    private static string PlainStart(string markdown)
    {
        var text = string.Join(' ', markdown.Split(['\r', '\n', '#', '*', '_', '>', '`', '[', ']'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return text.Length <= 140 ? text : text[..140] + "…";
    }

    private sealed class Prepared(long dispatchId, Dictionary<int, (CompiledEmail Email, ListIdentity List)> perList, RecipientLinks links) : PerListContent
    {
        public override bool StillWanted(DeliveryRecipient recipient) =>
            recipient.Status == SubscriptionStatus.Confirmed && recipient.Alerts == true && perList.ContainsKey(recipient.ListId);

        protected override OutgoingMessage MessageFor(DeliveryRecipient recipient)
        {
            var (email, list) = perList[recipient.ListId];
            return links.Message(dispatchId, recipient, email, list);
        }
    }
}

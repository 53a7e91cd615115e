using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Alerts;

/// <summary>The alert email: templates/Alert.cshtml, rendered once per dispatch, list and reader language (the
/// translation into the reader's language, else the alert as written) and kept with the dispatch (see
/// <see cref="DispatchEmail"/>). Also what the preview and the test send show, so the approver sees exactly what goes out.</summary>
public sealed class AlertContent(
    DispatcherDb db,
    EmailRenderer renderer,
    RecipientLinks links,
    PublicUrls urls,
    DispatchLanguages readerLanguages,
    TimeProvider clock,
    IOptions<DispatcherOptions> options) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Alert;

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var alert = await AlertOfAsync(dispatch.AlertId, cancellationToken)
                    ?? throw new InvalidOperationException($"Alert {dispatch.AlertId} of dispatch {dispatch.Id} does not exist.");
        var lists = (await ListsOfAsync(alert, cancellationToken)).ToDictionary(l => l.Id);
        var emails = new DispatchEmailSet(dispatch.Id, keep: true, clock, key => CompileAsync(alert, lists[key.ListId], key.Language));
        // Every language its readers have, now: in the Web process that sends it, so workers need no compiler.
        var languages = await readerLanguages.OnListsAsync(lists.Keys, cancellationToken);
        await emails.LoadAsync(db, lists.Keys.SelectMany(id => languages.Select(l => new EmailKey(id, l))), cancellationToken);
        return new Prepared(dispatch.Id, emails, lists.ToDictionary(l => l.Key, l => new ListIdentity(l.Value.Slug, l.Value.Name)), links,
            options.Value.LanguageOf);
    }

    private Task<Alert?> AlertOfAsync(long? id, CancellationToken cancellationToken) =>
        db.Alerts.AsNoTracking().Include(a => a.Lists).Include(a => a.Translations).AsSplitQuery().SingleOrDefaultAsync(a => a.Id == id, cancellationToken);

    /// <summary>The newest alert's id, for the warm-up's reads (see Dispatching.SendPathWarmUp); 0 when there is none.</summary>
    internal static async Task<long> NewestAlertAsync(DispatcherDb db, CancellationToken cancellationToken) =>
        await db.Alerts.MaxAsync(a => (long?)a.Id, cancellationToken) ?? 0;

    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await AlertOfAsync(await NewestAlertAsync(db, cancellationToken), cancellationToken); // read only
        await AlertRecipients.AudienceOfAsync(db, 0, cancellationToken); // planning's
        await ListsOfAsync(new Alert { Subject = "", BodyMarkdown = "", BodyHtml = "", CreatedBy = "" }, cancellationToken);
        await readerLanguages.OnListsAsync([], cancellationToken);
    }

    /// <summary>The alert for readers of <paramref name="language"/>: their translation, else as written; the fixed words in theirs.</summary>
    /// <param name="list">The list it goes to; null: the first of its lists is not known yet (a draft without lists).</param>
    public Task<CompiledEmail> CompileAsync(Alert alert, Lists.MailingList? list, string language)
    {
        var text = alert.For(language, options.Value.LanguageOf(null));
        return renderer.CompileAsync("Alert", text.Subject, recipient => new AlertEmail
        {
            Recipient = recipient,
            PublicBaseUrl = urls.Base,
            ListName = list?.Name,
            ListIntroduction = list?.Introduction,
            Preheader = PlainStart(text.BodyMarkdown),
            ContentLanguage = text.Language,
            Subject = text.Subject,
            BodyHtml = text.BodyHtml,
            ActionUrl = text.ActionUrl,
            ActionLabel = text.ActionLabel,
        }, language);
    }

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

    private sealed class Prepared(long dispatchId, DispatchEmailSet emails, Dictionary<int, ListIdentity> lists, RecipientLinks links,
        Func<string?, string> languageOf) : ListMessageContent(dispatchId, emails, lists, links, languageOf)
    {
        public override bool StillWanted(DeliveryRecipient recipient) =>
            recipient.Status == SubscriptionStatus.Confirmed && recipient.Alerts == true && HasList(recipient);
    }
}

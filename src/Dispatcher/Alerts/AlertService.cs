using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Content;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Events;
using Dispatcher.Hosting;
using Dispatcher.Lists;
using Dispatcher.Messages;
using Dispatcher.Subscribers;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Alerts;

/// <summary>What an alert operation came to.</summary>
public abstract record AlertResult
{
    public sealed record Ok<T>(T Value) : AlertResult;
    public sealed record Invalid(ValidationErrors Errors) : AlertResult;
    public sealed record NotFound : AlertResult;
    public sealed record Forbidden(string Detail) : AlertResult;
    public sealed record Conflict(string Detail) : AlertResult;
    public sealed record Unavailable(string Detail) : AlertResult;
    public sealed record TooMany(string Detail) : AlertResult;
}

/// <summary>Drafts, sending and the two-person rule. Every status change is a conditional UPDATE (draft → sent,
/// pendingApproval → sent), so a double click, two tabs or two approvers can never send an alert twice.</summary>
public sealed class AlertService(
    DispatcherDb db,
    AlertContent content,
    DispatchContentCache contents,
    IPublishEndpoint bus,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<AlertOptions> options,
    Microsoft.Extensions.Options.IOptions<DispatcherOptions> readers,
    ILogger<AlertService> logger)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public async Task<AlertResult> CreateAsync(AlertRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var (errors, lists, audience) = await CheckAsync(request, cancellationToken);
        if (errors.Any) return new AlertResult.Invalid(errors);
        if (NotGranted(caller, lists) is { } refused) return refused;

        var alert = new Alert
        {
            Subject = request.Subject!.Trim(),
            BodyMarkdown = request.BodyMarkdown!,
            BodyHtml = SafeHtml.FromMarkdown(request.BodyMarkdown!),
            ActionUrl = Blank(request.ActionUrl),
            ActionLabel = Blank(request.ActionLabel),
            Lists = lists.Select(l => new AlertList { ListId = l.Id }).ToList(),
            Audience = audience,
            Language = OwnLanguage(request),
            Translations = TranslationsOf(request),
            CreatedBy = caller.Id,
            CreatedAt = Now,
            UpdatedAt = Now,
        };
        db.Alerts.Add(alert);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit.Add(AuditLog.Entry(clock, caller, "alert.created", $"alert:{alert.Id}", $"\"{alert.Subject}\" to {string.Join(", ", lists.Select(l => l.Slug))}{AudienceNote(audience)}"));
        await db.SaveChangesAsync(cancellationToken);
        return new AlertResult.Ok<Alert>(alert);
    }

    /// <summary>Drafts can be changed until someone asks to send them.</summary>
    public async Task<AlertResult> UpdateAsync(long id, AlertRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var alert = await FindAsync(id, caller, cancellationToken);
        if (alert is not AlertResult.Ok<Alert> { Value: var found }) return alert;
        if (found.Status != AlertStatus.Draft) return new AlertResult.Conflict("Only a draft can be changed.");
        var (errors, lists, audience) = await CheckAsync(request, cancellationToken);
        if (errors.Any) return new AlertResult.Invalid(errors);
        if (NotGranted(caller, lists) is { } refused) return refused;

        found.Subject = request.Subject!.Trim();
        found.BodyMarkdown = request.BodyMarkdown!;
        found.BodyHtml = SafeHtml.FromMarkdown(request.BodyMarkdown!);
        found.ActionUrl = Blank(request.ActionUrl);
        found.ActionLabel = Blank(request.ActionLabel);
        found.Lists.Clear();
        found.Lists.AddRange(lists.Select(l => new AlertList { AlertId = found.Id, ListId = l.Id }));
        found.Audience = audience;
        found.Language = OwnLanguage(request);
        ReplaceTranslations(found, TranslationsOf(request));
        found.UpdatedAt = Now;
        db.Audit.Add(AuditLog.Entry(clock, caller, "alert.updated", $"alert:{found.Id}", found.Subject + AudienceNote(audience)));
        await db.SaveChangesAsync(cancellationToken);
        return new AlertResult.Ok<Alert>(found);
    }

    public async Task<AlertResult> DeleteAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        var alert = await FindAsync(id, caller, cancellationToken);
        if (alert is not AlertResult.Ok<Alert> { Value: var found }) return alert;
        if (found.Status != AlertStatus.Draft) return new AlertResult.Conflict("Only a draft can be deleted.");
        db.Alerts.Remove(found);
        db.Audit.Add(AuditLog.Entry(clock, caller, "alert.deleted", $"alert:{found.Id}", found.Subject));
        await db.SaveChangesAsync(cancellationToken);
        return new AlertResult.Ok<bool>(true);
    }

    /// <summary>The alert as a subscriber reading <paramref name="language"/> (default: the alert's own) will get it,
    /// filled in for a sample subscriber.</summary>
    public async Task<AlertResult> PreviewAsync(long id, string? language, Caller caller, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var asked = errors.Language("language", language);
        if (errors.Any) return new AlertResult.Invalid(errors);
        var found = await FindAsync(id, caller, cancellationToken);
        if (found is not AlertResult.Ok<Alert> { Value: var alert }) return found;
        var list = (await content.ListsOfAsync(alert, cancellationToken)).FirstOrDefault();
        var readerLanguage = asked ?? alert.Language ?? readers.Value.LanguageOf(null);
        var email = await content.CompileAsync(alert, list, readerLanguage);
        var body = email.For(AlertPreviews.SamplePerson("subscriber@example.org"));
        return new AlertResult.Ok<AlertPreview>(new AlertPreview(email.Subject, body.Html, body.Text, readerLanguage));
    }

    public async Task<AlertResult> TestAsync(long id, string? email, Caller caller, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (!EmailAddress.TryNormalise(email, out var address, out var error)) errors.Add("email", error);
        if (errors.Any) return new AlertResult.Invalid(errors);
        var found = await FindAsync(id, caller, cancellationToken);
        if (found is not AlertResult.Ok<Alert> { Value: var alert }) return found;
        if (await TestLimitAsync(address!, caller, cancellationToken) is { } limited) return limited;

        // A test copy is not kept in the database (nobody is owed it), so with the broker down say so rather than hang.
        if (!await bus.TryPublishAsync(new SendTestAlert(alert.Id, address!), logger, cancellationToken))
            return new AlertResult.Unavailable("The message broker is not reachable just now, so the test copy was not sent. Try again in a minute.");
        db.Audit.Add(AuditLog.Entry(clock, caller, "alert.tested", $"alert:{alert.Id}", address));
        await db.SaveChangesAsync(cancellationToken);
        return new AlertResult.Ok<bool>(true);
    }

    /// <summary>A user's own login address takes any number of test copies; other addresses Alerts:TestSendsPerHour
    /// per key or user, counted from the audit log (so every Web process counts the same).</summary>
    private async Task<AlertResult?> TestLimitAsync(string address, Caller caller, CancellationToken cancellationToken)
    {
        if (caller.Id.StartsWith("user:", StringComparison.Ordinal) && string.Equals(caller.Name, address, StringComparison.OrdinalIgnoreCase)) return null;
        var since = Now.AddHours(-1);
        var sent = await db.Audit.CountAsync(a => a.Action == "alert.tested" && a.At >= since && a.Actor == caller.Actor && a.Details != caller.Name,
            cancellationToken);
        return sent < options.Value.TestSendsPerHour ? null
            : new AlertResult.TooMany($"{sent} test copies went to other addresses in the last hour, the most Alerts:TestSendsPerHour allows. Send one to your own address, or try again later.");
    }

    /// <summary>Sends now, or asks for a second person's approval when a target list requires it.</summary>
    public async Task<AlertResult> SendAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        var found = await FindAsync(id, caller, cancellationToken);
        if (found is not AlertResult.Ok<Alert> { Value: var alert }) return found;
        var lists = await content.ListsOfAsync(alert, cancellationToken);
        if (alert.Status != AlertStatus.Draft) return AlreadyGone(alert.Status);

        if (lists.Any(l => l.RequireApproval))
        {
            if (await AskApprovalAsync(id, caller, cancellationToken) == 0) return AlreadyGone(AlertStatus.Sent);
            db.Audit.Add(AuditLog.Entry(clock, caller, "alert.send-requested", $"alert:{id}", $"\"{alert.Subject}\" waits for approval"));
            db.IntegrationEvents.Add(IntegrationEvents.Of(clock, IntegrationEvents.AlertPendingApproval,
                new { alertId = id, subject = alert.Subject, lists = lists.Select(l => l.Slug).ToList(), requestedBy = caller.Actor }));
            await db.SaveChangesAsync(cancellationToken);
            await bus.TryPublishAsync(new AlertAwaitsApproval(id), logger, cancellationToken); // the other organisers are emailed
            return new AlertResult.Ok<AlertSendResponse>(new AlertSendResponse(null, "pendingApproval"));
        }
        return await DispatchAsync(alert, AlertStatus.Draft, caller, "alert.sent", cancellationToken);
    }

    /// <summary>A second organiser or an admin approves: not the one who asked.</summary>
    public async Task<AlertResult> ApproveAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        var found = await FindAsync(id, caller, cancellationToken);
        if (found is not AlertResult.Ok<Alert> { Value: var alert }) return found;
        if (alert.Status == AlertStatus.Draft) return new AlertResult.Conflict("Nobody has asked to send this alert yet.");
        if (alert.Status == AlertStatus.Sent) return AlreadyGone(alert.Status);
        if (alert.RequestedBy == caller.Id)
            return new AlertResult.Forbidden("You asked to send this alert: someone else must approve it.");
        return await DispatchAsync(alert, AlertStatus.PendingApproval, caller, "alert.approved", cancellationToken);
    }

    private async Task<AlertResult> DispatchAsync(Alert alert, AlertStatus from, Caller caller, string action, CancellationToken cancellationToken)
    {
        var now = Now;
        Dispatch dispatch;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (await MarkSentAsync(alert.Id, from, caller, now, cancellationToken) == 0) return AlreadyGone(AlertStatus.Sent); // someone else sent or approved it a moment ago

            dispatch = Dispatch.Queued(DispatchKind.Alert, now);
            dispatch.AlertId = alert.Id;
            db.Dispatches.Add(dispatch);
            await db.SaveChangesAsync(cancellationToken);
            await LinkDispatchAsync(alert.Id, dispatch.Id, cancellationToken);
            db.Audit.Add(AuditLog.Entry(clock, caller, action, $"alert:{alert.Id}", $"\"{alert.Subject}\"; dispatch {dispatch.Id}"));
            db.IntegrationEvents.Add(IntegrationEvents.Of(clock, IntegrationEvents.AlertSent,
                new { alertId = alert.Id, subject = alert.Subject, dispatchId = dispatch.Id, by = caller.Actor }));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        await contents.RenderInWebAsync(dispatch, cancellationToken);
        await bus.TryPublishAsync(new AlertApproved(alert.Id, dispatch.Id), logger); // else the sweeper plans the queued dispatch
        return new AlertResult.Ok<AlertSendResponse>(new AlertSendResponse(dispatch.Id, "sent"));
    }

    /// <summary>Draft → pending approval; 0 when it is a draft no more.</summary>
    private Task<int> AskApprovalAsync(long id, Caller caller, CancellationToken cancellationToken) =>
        db.Alerts.Where(a => a.Id == id && a.Status == AlertStatus.Draft)
            .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, AlertStatus.PendingApproval)
                .SetProperty(a => a.RequestedBy, caller.Id).SetProperty(a => a.RequestedAt, Now), cancellationToken);

    /// <summary>Draft or pending approval → sent, by whoever asked or approved; 0 when someone else did it first.</summary>
    private Task<int> MarkSentAsync(long id, AlertStatus from, Caller caller, DateTime now, CancellationToken cancellationToken) =>
        from == AlertStatus.Draft
            ? db.Alerts.Where(a => a.Id == id && a.Status == from)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, AlertStatus.Sent)
                    .SetProperty(a => a.RequestedBy, caller.Id).SetProperty(a => a.RequestedAt, now), cancellationToken)
            : db.Alerts.Where(a => a.Id == id && a.Status == from)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, AlertStatus.Sent)
                    .SetProperty(a => a.ApprovedBy, caller.Id).SetProperty(a => a.ApprovedAt, now), cancellationToken);

    private Task LinkDispatchAsync(long id, long dispatchId, CancellationToken cancellationToken) =>
        db.Alerts.Where(a => a.Id == id).ExecuteUpdateAsync(s => s.SetProperty(a => a.DispatchId, dispatchId), cancellationToken);

    /// <summary>Runs each statement of creating, sending and approving an alert against alert 0, which does not exist
    /// (both databases number rows from 1): they match nothing and change nothing, and the first real send finds them
    /// compiled (see Dispatching.SendPathWarmUp).</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        const long none = 0;
        SafeHtml.FromMarkdown("Meet at **18:00** at [the embassy](https://example.org/embassy)."); // Markdig and the sanitiser
        await CheckAsync(new AlertRequest(null, null, null, null, []), cancellationToken);
        // The newest alert, read only: turning a row into an alert runs only when a row comes back.
        await FindAsync(await AlertContent.NewestAlertAsync(db, cancellationToken), Caller.System, cancellationToken);
        await content.ListsOfAsync(new Alert { Subject = "", BodyMarkdown = "", BodyHtml = "", CreatedBy = "" }, cancellationToken);
        await AskApprovalAsync(none, Caller.System, cancellationToken);
        await MarkSentAsync(none, AlertStatus.Draft, Caller.System, Now, cancellationToken);
        await MarkSentAsync(none, AlertStatus.PendingApproval, Caller.System, Now, cancellationToken);
        await LinkDispatchAsync(none, none, cancellationToken);
        await bus.TryPublishAsync(new AlertApproved(none, none), logger, cancellationToken); // its planner finds nothing to plan
    }

    /// <summary>The alert, if it exists and the caller may act on it (organisers: only alerts to lists they are granted).</summary>
    public async Task<AlertResult> FindAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        var alert = await db.Alerts.Include(a => a.Lists).Include(a => a.Translations).AsSplitQuery().SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
        if (alert is null) return new AlertResult.NotFound();
        if (!caller.IsAdmin && NotGranted(caller, await content.ListsOfAsync(alert, cancellationToken)) is { } refused) return refused;
        return new AlertResult.Ok<Alert>(alert);
    }

    /// <summary>How many people the alert would reach now: confirmed, alerts on, each person once.</summary>
    public Task<int> RecipientsAsync(Alert alert, CancellationToken cancellationToken) => AlertRecipients.CountAsync(db, alert, cancellationToken);

    /// <summary>Who it would reach now — how many, and up to five addresses — for whoever may act on it.</summary>
    public async Task<AlertResult> AudienceAsync(long id, Caller caller, CancellationToken cancellationToken)
    {
        var found = await FindAsync(id, caller, cancellationToken);
        if (found is not AlertResult.Ok<Alert> { Value: var alert }) return found;
        return new AlertResult.Ok<AlertAudienceResponse>(new AlertAudienceResponse(
            await AlertRecipients.CountAsync(db, alert, cancellationToken), await AlertRecipients.SampleAsync(db, alert, 5, cancellationToken),
            alert.Audience.OrNull));
    }

    private static string AudienceNote(Audience audience) => audience.IsEveryone ? "" : $"; audience: {audience}";

    private async Task<(ValidationErrors Errors, List<MailingList> Lists, Audience Audience)> CheckAsync(AlertRequest request, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        var audience = Audience.Check(request.Audience, "audience", errors);
        if (!string.IsNullOrWhiteSpace(request.Segment))
        {
            var slug = request.Segment.Trim();
            if (!audience.IsEveryone) errors.Add("segment", "Give either 'audience' or 'segment', not both.");
            else if (await Segments.FindAsync(db, slug, cancellationToken) is { } segment) audience = segment.Audience;
            else errors.Add("segment", $"There is no segment '{slug}'.");
        }
        var slugs = (request.Lists ?? []).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).Distinct().ToList();
        var lists = await db.Lists.AsNoTracking().Where(l => slugs.Contains(l.Slug)).ToListAsync(cancellationToken);
        for (var i = 0; i < (request.Lists?.Count ?? 0); i++)
            if (lists.All(l => l.Slug != request.Lists![i]?.Trim()))
                errors.Add($"lists[{i}]", $"There is no list '{request.Lists![i]}'.");
        return (errors, lists, audience);
    }

    private static AlertResult.Forbidden? NotGranted(Caller caller, IEnumerable<MailingList> lists) =>
        lists.FirstOrDefault(l => !caller.MayUseList(l.Slug)) is { } list
            ? new AlertResult.Forbidden($"This key is not granted the list '{list.Slug}'.")
            : null;

    private static AlertResult.Conflict AlreadyGone(AlertStatus status) => new(status == AlertStatus.Sent
        ? "This alert has been sent already: an alert goes out once."
        : "This alert is waiting for approval already.");

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private string OwnLanguage(AlertRequest request) =>
        ReaderLocale.TryLanguage(request.Language, out var language) ? language : readers.Value.LanguageOf(null);

    private static List<AlertTranslation> TranslationsOf(AlertRequest request) => (request.Translations ?? []).Select(t => new AlertTranslation
    {
        Language = ReaderLocale.TryLanguage(t.Language, out var tag) ? tag : throw new InvalidOperationException("Validated before."),
        Subject = t.Subject!.Trim(),
        BodyMarkdown = t.BodyMarkdown!,
        BodyHtml = SafeHtml.FromMarkdown(t.BodyMarkdown!),
        ActionUrl = Blank(t.ActionUrl),
        ActionLabel = Blank(t.ActionLabel),
    }).ToList();

    /// <summary>Changes the translations in place (a language kept is updated, not removed and added: same key).</summary>
    private static void ReplaceTranslations(Alert alert, List<AlertTranslation> wanted)
    {
        alert.Translations.RemoveAll(t => wanted.All(w => w.Language != t.Language));
        foreach (var w in wanted)
        {
            if (alert.Translations.FirstOrDefault(t => t.Language == w.Language) is not { } kept)
            {
                alert.Translations.Add(w);
                continue;
            }
            kept.Subject = w.Subject;
            kept.BodyMarkdown = w.BodyMarkdown;
            kept.BodyHtml = w.BodyHtml;
            kept.ActionUrl = w.ActionUrl;
            kept.ActionLabel = w.ActionLabel;
        }
    }
}

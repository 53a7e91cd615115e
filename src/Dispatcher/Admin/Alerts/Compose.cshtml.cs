using Dispatcher.Access;
using Dispatcher.Alerts;
using Dispatcher.Content;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Lists;
using Dispatcher.Mail.Templates;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Alerts;

/// <summary>Writing an alert: a draft, with a preview that follows the typing (JavaScript) or appears on the next page.</summary>
[Authorize(Policy = Policies.Organiser)]
public sealed class ComposeAlertModel(DispatcherDb db, AlertService alerts, AlertContent content,
    Microsoft.Extensions.Options.IOptions<DispatcherOptions> options) : AdminPage
{
    /// <summary>How many translations the form has room for; the API takes more.</summary>
    public const int TranslationSlots = 3;

    public long? Id { get; private set; }
    public List<MailingList> Lists { get; private set; } = [];
    public List<string> Errors { get; private set; } = [];
    public AlertPreview? Preview { get; private set; }

    [BindProperty] public string? Subject { get; set; }
    [BindProperty] public string? BodyMarkdown { get; set; }
    [BindProperty] public string? ActionUrl { get; set; }
    [BindProperty] public string? ActionLabel { get; set; }
    [BindProperty] public List<string> ListSlugs { get; set; } = [];
    [BindProperty] public string? Language { get; set; }
    [BindProperty] public List<TranslationInput> Translations { get; set; } = [];

    /// <summary>One translation's fields; a slot without a subject is not a translation.</summary>
    public sealed class TranslationInput
    {
        public string? Language { get; set; }
        public string? Subject { get; set; }
        public string? BodyMarkdown { get; set; }
        public string? ActionLabel { get; set; }
    }

    public IReadOnlyList<(string Tag, string Name)> Languages => ReaderLocale.Choices(options.Value.ReaderLanguages);

    public string DefaultLanguage => options.Value.LanguageOf(null);

    public TranslationInput Slot(int i) => i < Translations.Count ? Translations[i] : new TranslationInput();

    /// <summary>The audience as people write it: a line per attribute, "city = Seoul, Busan".</summary>
    [BindProperty] public string? AudienceText { get; set; }

    /// <summary>A saved audience instead of <see cref="AudienceText"/>.</summary>
    [BindProperty] public string? SegmentSlug { get; set; }

    public List<Dispatcher.Subscribers.Segment> Segments { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long? id, CancellationToken cancellationToken)
    {
        Id = id;
        if (id is { } existing)
        {
            if (await alerts.FindAsync(existing, Caller, cancellationToken) is not AlertResult.Ok<Alert> { Value: var alert }) return NotFound();
            if (alert.Status != AlertStatus.Draft) return Redirect($"/admin/alerts/{existing}");
            Subject = alert.Subject;
            BodyMarkdown = alert.BodyMarkdown;
            ActionUrl = alert.ActionUrl;
            ActionLabel = alert.ActionLabel;
            ListSlugs = (await content.ListsOfAsync(alert, cancellationToken)).Select(l => l.Slug).ToList();
            AudienceText = Admin.AudienceText.Write(alert.Audience);
            Language = alert.Language;
            Translations = alert.Translations.Select(t => new TranslationInput
                { Language = t.Language, Subject = t.Subject, BodyMarkdown = t.BodyMarkdown, ActionLabel = t.ActionLabel }).ToList();
        }
        await LoadListsAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(long? id, CancellationToken cancellationToken)
    {
        Id = id;
        var (audience, unreadable) = Admin.AudienceText.Read(AudienceText);
        var translations = Translations.Where(t => !string.IsNullOrWhiteSpace(t.Subject))
            .Select(t => new AlertTranslationRequest(t.Language, t.Subject, t.BodyMarkdown, t.ActionLabel)).ToList();
        var request = new AlertRequest(Subject, BodyMarkdown, ActionUrl, ActionLabel, ListSlugs, audience, SegmentSlug, Language, translations);
        var result = unreadable is not null ? new AlertResult.Invalid(Admin.AudienceText.Unreadable(unreadable))
            : id is { } existing
            ? await alerts.UpdateAsync(existing, request, Caller, cancellationToken)
            : await alerts.CreateAsync(request, Caller, cancellationToken);
        switch (result)
        {
            case AlertResult.Ok<Alert> ok:
                Flash = "Draft saved. Check it below, then send.";
                return Redirect($"/admin/alerts/{ok.Value.Id}");
            case AlertResult.Invalid invalid:
                Errors = invalid.Errors.ToDictionary().SelectMany(e => e.Value).ToList();
                break;
            case AlertResult.Forbidden:
                return Forbidden();
            case AlertResult.NotFound:
                return NotFound();
            case AlertResult.Conflict conflict:
                Errors = [conflict.Detail];
                break;
        }
        await LoadListsAsync(cancellationToken);
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }

    /// <summary>The live preview: the form as it stands, rendered exactly as the email would be (nothing is saved).</summary>
    public async Task<IActionResult> OnPostPreviewAsync(CancellationToken cancellationToken)
    {
        var lists = await db.VisibleLists(Caller).Where(l => ListSlugs.Contains(l.Slug)).ToListAsync(cancellationToken);
        var draft = new Alert
        {
            Subject = string.IsNullOrWhiteSpace(Subject) ? "(no subject yet)" : Subject.Trim(),
            BodyMarkdown = BodyMarkdown ?? "",
            BodyHtml = SafeHtml.FromMarkdown(BodyMarkdown ?? ""),
            ActionUrl = Uri.TryCreate(ActionUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? ActionUrl : null,
            ActionLabel = string.IsNullOrWhiteSpace(ActionLabel) ? null : ActionLabel.Trim(),
            CreatedBy = Caller.Id,
        };
        var language = ReaderLocale.TryLanguage(Language, out var written) ? written : DefaultLanguage;
        draft.Language = language;
        var email = await content.CompileAsync(draft, lists.FirstOrDefault(), language);
        var body = email.For(AlertPreviews.SamplePerson("subscriber@example.org"));
        return new JsonResult(new AlertPreview(email.Subject, body.Html, body.Text, language));
    }

    private async Task LoadListsAsync(CancellationToken cancellationToken)
    {
        Lists = await db.VisibleLists(Caller).OrderBy(l => l.Name).ToListAsync(cancellationToken);
        Segments = await db.Segments.AsNoTracking().OrderBy(s => s.Name).ToListAsync(cancellationToken);
    }
}

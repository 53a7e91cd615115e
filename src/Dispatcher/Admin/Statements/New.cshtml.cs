using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Lists;
using Dispatcher.Statements;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Admin.Statements;

public sealed class NewStatementModel(DispatcherDb db, StatementPublisher publisher, IOptions<DispatcherOptions> options) : AdminPage
{
    /// <summary>How many translations the form has room for; the API takes more.</summary>
    public const int TranslationSlots = 3;

    public List<MailingList> Lists { get; private set; } = [];
    public List<string> Errors { get; private set; } = [];

    [BindProperty] public string? Title { get; set; }
    [BindProperty] public string? Author { get; set; }
    [BindProperty] public string? Link { get; set; }
    [BindProperty] public string? Summary { get; set; }
    [BindProperty] public string? BodyMarkdown { get; set; }
    [BindProperty] public List<string> ListSlugs { get; set; } = [];
    [BindProperty] public string? Language { get; set; }
    [BindProperty] public List<TranslationInput> Translations { get; set; } = [];

    /// <summary>The audience as people write it: a line per attribute, "city = Seoul, Busan".</summary>
    [BindProperty] public string? AudienceText { get; set; }

    /// <summary>One translation's fields; a slot left without a title is not a translation.</summary>
    public sealed class TranslationInput
    {
        public string? Language { get; set; }
        public string? Title { get; set; }
        public string? Summary { get; set; }
        public string? Link { get; set; }
    }

    public IReadOnlyList<(string Tag, string Name)> Languages => ReaderLocale.Choices(options.Value.ReaderLanguages);

    public string DefaultLanguage => options.Value.LanguageOf(null);

    public TranslationInput Slot(int i) => i < Translations.Count ? Translations[i] : new TranslationInput();

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Lists = await db.VisibleLists(Caller).OrderBy(l => l.Name).ToListAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var translations = Translations.Where(t => !string.IsNullOrWhiteSpace(t.Title))
            .Select(t => new StatementTranslationRequest(t.Language, t.Title, t.Summary, t.Link)).ToList();
        var (audience, unreadable) = Admin.AudienceText.Read(AudienceText);
        var request = new PublishStatementRequest(Title, Author, null, Summary, null, BodyMarkdown, Link, ListSlugs, null, Language, translations, audience);
        var result = unreadable is not null ? new PublishResult.Invalid(Admin.AudienceText.Unreadable(unreadable))
            : await publisher.PublishAsync(request, Caller, cancellationToken);
        switch (result)
        {
            case PublishResult.Accepted accepted:
                Flash = accepted.Response.DispatchId is null ? "Published: it goes out in the next digests." : "Published and on its way.";
                return Redirect($"/admin/statements/{accepted.Response.Id}");
            case PublishResult.Forbidden:
                return Forbidden();
            case PublishResult.Invalid invalid:
                Errors = invalid.Errors.ToDictionary().SelectMany(e => e.Value).ToList();
                break;
        }
        await OnGetAsync(cancellationToken);
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}

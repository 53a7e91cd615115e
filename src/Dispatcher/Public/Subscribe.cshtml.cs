using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Public;

/// <summary>The public sign-up form of a list. Whatever the address, the answer is the same "check your inbox" page:
/// it never reveals whether someone was subscribed. A filled-in honeypot field gets the same page and no email.</summary>
[EnableRateLimiting(PublicPagesExtensions.SignUpPolicy)]
public sealed class SubscribeModel(DispatcherDb db, SubscriptionService subscriptions, IOptions<DispatcherOptions> options) : PublicPage
{
    public string Slug { get; private set; } = "";
    public string? ListName { get; private set; }
    public string? ListDescription { get; private set; }
    public bool Sent { get; private set; }
    public Dictionary<string, string> Errors { get; } = [];

    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string Cadence { get; set; } = "immediate";
    [BindProperty] public bool Alerts { get; set; } = true;
    [BindProperty] public string? Website { get; set; }

    /// <summary>Chosen from those offered; defaults to the browser's (Accept-Language).</summary>
    [BindProperty] public string? Language { get; set; }

    /// <summary>Filled in by the page's script from the browser; empty without it (then Dispatcher:TimeZone applies).</summary>
    [BindProperty] public string? TimeZone { get; set; }

    /// <summary>The attributes this list asks for, by name: what the reader typed.</summary>
    [BindProperty] public Dictionary<string, string?> Attributes { get; set; } = [];

    public IReadOnlyList<string> AskFor { get; private set; } = [];

    /// <summary>"union_branch" as a label: "Union branch".</summary>
    public static string Label(string attribute) => char.ToUpperInvariant(attribute[0]) + attribute[1..].Replace('_', ' ').Replace('-', ' ');

    public IReadOnlyList<(string Tag, string Name)> Languages =>
        ReaderLocale.Choices(options.Value.ReaderLanguages);

    public async Task<IActionResult> OnGetAsync(string slug, bool sent, CancellationToken cancellationToken)
    {
        var list = await FindListAsync(slug, cancellationToken);
        if (list is null) return NotFoundPage();
        Sent = sent;
        Language = BrowserLanguage();
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string slug, CancellationToken cancellationToken)
    {
        var list = await FindListAsync(slug, cancellationToken);
        if (list is null) return NotFoundPage();
        if (!string.IsNullOrEmpty(Website)) return RedirectToPage(new { slug, sent = true }); // a bot: say the same, do nothing

        // The page answers in the language chosen on it.
        if (ReaderLocale.TryOffered(Language, options.Value.ReaderLanguages, out var asked)) ShowIn(asked);
        if (!EmailAddress.TryNormalise(Email, out var email, out var emailError))
            Errors["email"] = PageLanguage == "en" ? emailError : T("Enter your email address, e.g. name@example.org.");
        if (Name is { Length: > 200 }) Errors["name"] = T("A name has at most 200 characters.");
        if (!CadenceNames.TryParse(Cadence, out var cadence)) Errors["cadence"] = T("Choose how often you would like our statements.");
        // None given (a form from before there was a choice): the organisation's default.
        string? language = options.Value.DefaultLanguage;
        if (!string.IsNullOrWhiteSpace(Language))
        {
            if (!ReaderLocale.TryOffered(Language, options.Value.ReaderLanguages, out var chosen)) Errors["language"] = T("Choose one of the languages offered.");
            else language = chosen;
        }
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in AskFor)
        {
            var value = Attributes.GetValueOrDefault(name)?.Trim();
            if (string.IsNullOrEmpty(value)) continue; // optional: a reader need not say
            if (!ReaderDetails.IsAttributeValue(value)) Errors[$"attribute-{name}"] = $"{Label(name)}: at most {ReaderDetails.MaxAttributeValue} characters.";
            else attributes[name] = value;
        }
        // The browser's own report: a zone it does not know is left out, not an error the reader could fix.
        var zone = ReaderLocale.TryTimeZone(TimeZone, out var known) ? known : null;
        if (Errors.Count > 0)
        {
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }

        await subscriptions.SignUpAsync(list, email!, Name, cadence, Alerts, cancellationToken,
            new ReaderDetails(language, zone, attributes));
        return RedirectToPage(new { slug, sent = true });
    }

    private async Task<Lists.MailingList?> FindListAsync(string slug, CancellationToken cancellationToken)
    {
        Slug = slug;
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug && l.Public, cancellationToken);
        ListName = list?.Name;
        ListDescription = list?.Description;
        AskFor = list?.AskFor ?? [];
        return list;
    }

    private PageResult NotFoundPage()
    {
        ListName = null;
        var page = Page();
        page.StatusCode = StatusCodes.Status404NotFound;
        return page;
    }
}

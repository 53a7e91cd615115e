using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Public;

/// <summary>Every list of the person's: subscribed or not, how often, alerts on or off; or leave everything.
/// The signed link is their identity; the form itself carries an antiforgery token.</summary>
public sealed class PreferencesModel(DispatcherDb db, SubscriptionService subscriptions, SubscriberTokens tokens, IOptions<DispatcherOptions> options) : PublicPage
{
    public sealed record ListChoice(int ListId, string Name, SubscriptionStatus Status, Cadence Cadence, bool Alerts)
    {
        public bool Subscribed => Status is SubscriptionStatus.Confirmed or SubscriptionStatus.Unconfirmed;
        public bool Blocked => Status is SubscriptionStatus.Bounced or SubscriptionStatus.Complained;
    }

    public sealed class Choice
    {
        public int ListId { get; set; }
        public bool Subscribed { get; set; }
        public string? Cadence { get; set; }
        public bool Alerts { get; set; }
    }

    public bool Invalid { get; private set; }
    public bool Saved { get; private set; }
    public string MaskedEmail { get; private set; } = "";
    public List<ListChoice> Lists { get; private set; } = [];

    [BindProperty] public List<Choice> Choices { get; set; } = [];

    [BindProperty] public string? Language { get; set; }

    /// <summary>Empty: the organisation's (Dispatcher:TimeZone).</summary>
    [BindProperty] public string? TimeZone { get; set; }

    public string? Problem { get; private set; }

    public IReadOnlyList<(string Tag, string Name)> Languages =>
        ReaderLocale.Choices(options.Value.ReaderLanguages);

    public string DefaultTimeZone => options.Value.TimeZone;

    /// <summary>Every IANA zone this machine knows, by id.</summary>
    public static IReadOnlyList<string> TimeZones { get; } = TimeZoneInfo.GetSystemTimeZones().Where(z => z.HasIanaId).Select(z => z.Id)
        .Order(StringComparer.Ordinal).ToList();

    public async Task<IActionResult> OnGetAsync(string token, bool saved, CancellationToken cancellationToken)
    {
        if (await LoadAsync(token, cancellationToken) is not { } _) return BadLink();
        Saved = saved;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken cancellationToken)
    {
        if (await LoadAsync(token, cancellationToken) is not { } subscriberId) return BadLink();
        string? zone = null;
        if (!ReaderLocale.TryOffered(Language, options.Value.ReaderLanguages, out var language)) Problem = T("Choose one of the languages offered.");
        else if (!string.IsNullOrWhiteSpace(TimeZone) && !ReaderLocale.TryTimeZone(TimeZone, out zone!)) Problem = T("Choose a time zone from the list.");
        if (Problem is not null)
        {
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }
        await subscriptions.UpdateLocaleAsync(subscriberId, language, string.IsNullOrWhiteSpace(TimeZone) ? null : zone, cancellationToken);
        var preferences = Choices
            .Where(c => Lists.Any(l => l.ListId == c.ListId))
            .Select(c => new SubscriptionService.Preference(c.ListId, c.Subscribed,
                CadenceNames.TryParse(c.Cadence, out var cadence) ? cadence : Lists.Single(l => l.ListId == c.ListId).Cadence, c.Alerts))
            .ToList();
        await subscriptions.UpdatePreferencesAsync(subscriberId, preferences, cancellationToken);
        return RedirectToPage(new { token, saved = true });
    }

    public async Task<IActionResult> OnPostLeaveAllAsync(string token, CancellationToken cancellationToken)
    {
        if (await LoadAsync(token, cancellationToken) is not { } subscriberId) return BadLink();
        var leaveAll = Lists.Select(l => new SubscriptionService.Preference(l.ListId, false, l.Cadence, l.Alerts)).ToList();
        await subscriptions.UpdatePreferencesAsync(subscriberId, leaveAll, cancellationToken);
        return RedirectToPage(new { token, saved = true });
    }

    private async Task<long?> LoadAsync(string token, CancellationToken cancellationToken)
    {
        if (!tokens.TryRead(token, TokenPurpose.Preferences, out var read)) return null;
        var subscriber = await db.Subscribers.AsNoTracking().SingleOrDefaultAsync(s => s.Id == read.Value.SubscriberId, cancellationToken);
        if (subscriber is null) return null;
        ShowIn(subscriber.Language);
        MaskedEmail = UnsubscribeModel.Mask(subscriber.Email);
        Language ??= subscriber.Language ?? options.Value.DefaultLanguage;
        TimeZone ??= subscriber.TimeZone;
        Lists = await (from s in db.Subscriptions
                       join l in db.Lists on s.ListId equals l.Id
                       where s.SubscriberId == subscriber.Id
                       orderby l.Name
                       select new ListChoice(l.Id, l.Name, s.Status, s.Cadence, s.Alerts)).ToListAsync(cancellationToken);
        return subscriber.Id;
    }

    private PageResult BadLink()
    {
        Invalid = true;
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}

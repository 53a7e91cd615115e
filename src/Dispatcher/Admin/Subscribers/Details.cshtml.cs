using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Admin.Subscribers;

/// <summary>A reader's language, time zone and attributes (what audiences choose by): a line per attribute, "city =
/// Seoul". Admins only, like every view of who is on a list: an organiser's login must not open the membership.</summary>
[Authorize(Policy = Policies.Admin)]
public sealed class DetailsModel(DispatcherDb db, TimeProvider clock, IOptions<DispatcherOptions> options) : AdminPage
{
    public Subscriber? Person { get; private set; }
    public List<(string List, string Status, string Cadence)> Lists { get; private set; } = [];
    public List<string> Errors { get; private set; } = [];

    [BindProperty] public string? Language { get; set; }
    [BindProperty] public string? TimeZone { get; set; }

    /// <summary>"name = value", a line each.</summary>
    [BindProperty] public string? AttributesText { get; set; }

    public IReadOnlyList<(string Tag, string Name)> Languages => ReaderLocale.Choices(options.Value.ReaderLanguages);

    public string DefaultTimeZone => options.Value.TimeZone;

    public async Task<IActionResult> OnGetAsync(string? email, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(email, cancellationToken)) return NotFound();
        Language = Person!.Language;
        TimeZone = Person.TimeZone;
        AttributesText = string.Join("\n", Person.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key} = {a.Value}"));
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? email, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(email, cancellationToken)) return NotFound();
        var errors = new ValidationErrors();
        var attributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var line in (AttributesText ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = line.IndexOf('=');
            if (equals <= 0) errors.Add("attributes", $"'{line}': write an attribute, '=' and its value, e.g. city = Seoul.");
            else attributes[line[..equals].Trim()] = line[(equals + 1)..].Trim();
        }
        var details = ReaderDetails.Check(Language, TimeZone, attributes, options.Value.ReaderLanguages, errors);
        if (errors.Any)
        {
            Errors = errors.ToDictionary().SelectMany(e => e.Value).ToList();
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }

        var person = await db.Subscribers.SingleAsync(s => s.Id == Person!.Id, cancellationToken);
        person.Language = details.Language;
        person.TimeZone = details.TimeZone;
        // The form holds all of them: what is not there any more is removed.
        person.Attributes = details.Attributes.Where(a => a.Value is not null).ToDictionary(a => a.Key, a => a.Value!, StringComparer.Ordinal);
        db.Audit.Add(AuditLog.Entry(clock, Caller, "subscriber.details", $"subscriber:{person.Id}",
            $"{person.Language ?? "default language"}, {person.TimeZone ?? "default zone"}, {person.Attributes.Count} attributes"));
        await db.SaveChangesAsync(cancellationToken);
        Flash = "Saved.";
        return Redirect($"/admin/subscribers/details?email={Uri.EscapeDataString(person.Email)}");
    }

    /// <summary>The person and their lists.</summary>
    private async Task<bool> LoadAsync(string? email, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryNormalise(email, out var normalised, out _)) return false;
        Person = await db.Subscribers.AsNoTracking().SingleOrDefaultAsync(s => s.Email == normalised, cancellationToken);
        if (Person is null) return false;
        var visible = db.VisibleLists(Caller);
        Lists = (await (from s in db.Subscriptions
                        join l in visible on s.ListId equals l.Id
                        where s.SubscriberId == Person.Id
                        orderby l.Name
                        select new { l.Name, s.Status, s.Cadence }).ToListAsync(cancellationToken))
            .Select(x => (x.Name, SubscriptionService.StatusName(x.Status), CadenceNames.Of(x.Cadence))).ToList();
        return true;
    }
}

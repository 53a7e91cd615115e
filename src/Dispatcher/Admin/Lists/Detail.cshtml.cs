using System.Globalization;
using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Lists;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Lists;

/// <summary>A list's people: search, filter, page; and, for admins, add, import (with a per-line error report),
/// export and erase. Organisers may look at the lists they are granted, and at no other (403), and see how many people
/// are on it, never who: only admins see other people's addresses.</summary>
[Authorize(Policy = Policies.Organiser)]
public sealed class ListDetailModel(DispatcherDb db, SubscriptionService subscriptions, SubscriberImport import) : AdminPage
{
    private const int PageSize = 50;

    public MailingList List { get; private set; } = null!;
    public List<ListMember> Members { get; private set; } = [];
    public string? Next { get; private set; }
    public ImportResult? Import { get; private set; }
    public SubscriberCounts? Counts { get; private set; }

    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public long? After { get; set; }

    public async Task<IActionResult> OnGetAsync(string slug, CancellationToken cancellationToken)
    {
        if (await FindAsync(slug, cancellationToken) is { } refused) return refused;
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAddAsync(string slug, string? email, string? name, string? cadence, bool alerts, bool confirmed, CancellationToken cancellationToken)
    {
        if (await FindAsync(slug, cancellationToken) is { } refused) return refused;
        if (!Caller.IsAdmin) return Forbidden();
        var errors = new AddSubscriberRequest(email, name, cadence, alerts, confirmed).Validate([], out var normalised, out var parsedCadence, out _);
        if (errors.Any) return Failed(string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value)), new { slug });
        var result = await subscriptions.AddAsync(List, normalised!, name, parsedCadence, alerts, confirmed, Caller, cancellationToken);
        return result.Outcome == AddOutcome.Refused
            ? Failed(result.Reason!, new { slug })
            : Done($"{normalised} is {SubscriptionService.StatusName(result.Subscription.Status)} on {List.Name}.", new { slug });
    }

    public async Task<IActionResult> OnPostImportAsync(string slug, IFormFile? file, bool askToConfirm, CancellationToken cancellationToken)
    {
        if (await FindAsync(slug, cancellationToken) is { } refused) return refused;
        if (!Caller.IsAdmin) return Forbidden();
        if (file is null || file.Length == 0) return Failed("Choose a CSV file to import.", new { slug });
        try
        {
            await using var stream = file.OpenReadStream();
            Import = await import.ImportAsync(List, stream, confirmed: !askToConfirm, Caller, cancellationToken);
        }
        catch (SubscriberImport.BadHeaderException e)
        {
            return Failed(e.Message, new { slug });
        }
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnGetExportAsync(string slug, CancellationToken cancellationToken)
    {
        if (await FindAsync(slug, cancellationToken) is { } refused) return refused;
        if (!Caller.IsAdmin) return Forbidden();
        Response.ContentType = "text/csv; charset=utf-8";
        Response.Headers.ContentDisposition = $"attachment; filename=\"{slug}.csv\"";
        await SubscriberExport.WriteAsync(db, List, null, Response.Body, cancellationToken);
        return new EmptyResult();
    }

    private async Task<IActionResult?> FindAsync(string slug, CancellationToken cancellationToken)
    {
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return NotFound();
        if (!Caller.MayUseList(slug)) return Forbidden();
        List = list;
        return null;
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Counts = (await db.DescribeAsync([List], cancellationToken))[0].Subscribers;
        if (!Caller.IsAdmin) return;
        var query = from s in db.Subscriptions.AsNoTracking()
                    join p in db.Subscribers.AsNoTracking() on s.SubscriberId equals p.Id
                    where s.ListId == List.Id
                    select new { s, p };
        if (Enum.TryParse<SubscriptionStatus>(Status, ignoreCase: true, out var status)) query = query.Where(x => x.s.Status == status);
        if (!string.IsNullOrWhiteSpace(Q))
        {
            var term = Q.Trim().ToLowerInvariant();
            query = query.Where(x => x.p.Email.ToLower().Contains(term) || (x.p.Name != null && x.p.Name.ToLower().Contains(term)));
        }
        if (After is { } after) query = query.Where(x => x.p.Id < after);
        var rows = await query.OrderByDescending(x => x.p.Id).Take(PageSize + 1).ToListAsync(cancellationToken);
        Members = rows.Take(PageSize).Select(r => new ListMember(r.p.Email, r.p.Name, SubscriptionService.StatusName(r.s.Status),
            CadenceNames.Of(r.s.Cadence), r.s.Alerts, r.s.CreatedAt, r.s.UpdatedAt)).ToList();
        Next = rows.Count > PageSize ? rows[PageSize - 1].p.Id.ToString(CultureInfo.InvariantCulture) : null;
    }
}

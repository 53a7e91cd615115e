using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Lists;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Lists;

[Authorize(Policy = Policies.Organiser)]
public sealed class ListsModel(DispatcherDb db, TimeProvider clock) : AdminPage
{
    public List<ListResponse> Lists { get; private set; } = [];
    public IDictionary<string, string[]> Errors { get; private set; } = new Dictionary<string, string[]>();

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Slug { get; set; }
    [BindProperty] public string? Description { get; set; }
    [BindProperty] public bool Public { get; set; }
    [BindProperty] public bool DoubleOptIn { get; set; }
    [BindProperty] public bool RequireApproval { get; set; }

    public Task OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!Caller.IsAdmin) return Forbidden();
        var request = new CreateListRequest(Name, Slug, Description, Public, DoubleOptIn, RequireApproval);
        var errors = request.Validate();
        if (!errors.Any && await db.Lists.AnyAsync(l => l.Slug == Slug!.Trim(), cancellationToken)) errors.Add("slug", $"A list with slug '{Slug}' exists already.");
        if (errors.Any)
        {
            Errors = errors.ToDictionary();
            await LoadAsync(cancellationToken);
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }
        db.Lists.Add(new MailingList
        {
            Name = Name!.Trim(), Slug = Slug!.Trim(), Description = string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(),
            Public = Public, DoubleOptIn = DoubleOptIn, RequireApproval = RequireApproval, CreatedAt = clock.GetUtcNow().UtcDateTime,
        });
        db.Audit.Add(AuditLog.Entry(clock, Caller, "list.created", $"list:{Slug!.Trim()}", Name));
        await db.SaveChangesAsync(cancellationToken);
        return Done($"List “{Name!.Trim()}” created.");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var lists = await db.VisibleLists(Caller).OrderBy(l => l.Name).ToListAsync(cancellationToken);
        Lists = await db.DescribeAsync(lists, cancellationToken);
    }
}

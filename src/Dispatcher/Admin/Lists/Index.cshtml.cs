using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Lists;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Lists;

[Authorize(Policy = Policies.Organiser)]
public sealed class ListsModel(DispatcherDb db, ListService lists) : AdminPage
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
        var change = await lists.CreateAsync(new CreateListRequest(Name, Slug, Description, Public, DoubleOptIn, RequireApproval), Caller, cancellationToken);
        if (change is ListChange.Done { List: var list }) return Done($"List “{list.Name}” created.");
        var errors = change is ListChange.Invalid invalid ? invalid.Errors : new Hosting.ValidationErrors();
        if (change is ListChange.SlugTaken taken) errors.Add("slug", ListService.SlugTakenMessage(taken.Slug));
        Errors = errors.ToDictionary();
        await LoadAsync(cancellationToken);
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var lists = await db.VisibleLists(Caller).OrderBy(l => l.Name).ToListAsync(cancellationToken);
        Lists = await db.DescribeAsync(lists, cancellationToken);
    }
}

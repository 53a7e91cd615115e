using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Lists;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Lists;

[Authorize(Policy = Policies.Admin)]
public sealed class ListEditModel(DispatcherDb db, ListService lists) : AdminPage
{
    public MailingList List { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(string slug, CancellationToken cancellationToken)
    {
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return NotFound();
        List = list;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string slug, string? name, string? description, string? introduction, bool @public, bool doubleOptIn,
        bool requireApproval, string? askFor, string? welcomeSubject, string? welcomeMarkdown, CancellationToken cancellationToken)
    {
        var asked = (askFor ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => (string?)a).ToList();
        var change = new UpdateListRequest(name ?? "", description ?? "", @public, doubleOptIn, requireApproval, introduction ?? "", asked,
            welcomeSubject ?? "", welcomeMarkdown ?? "");
        switch (await lists.UpdateAsync(slug, change, Caller, cancellationToken))
        {
            case ListChange.Done:
                Flash = "Saved.";
                return Redirect($"/admin/lists/{slug}");
            case ListChange.Invalid invalid:
                return Failed(string.Join(" ", invalid.Errors.ToDictionary().SelectMany(e => e.Value)), new { slug });
            default:
                return NotFound();
        }
    }

    public async Task<IActionResult> OnPostDeleteAsync(string slug, bool sure, CancellationToken cancellationToken)
    {
        if (!sure) return Failed("Tick the box to confirm.", new { slug });
        if (await lists.DeleteAsync(slug, Caller, cancellationToken) is not ListChange.Done { List: var list }) return NotFound();
        Flash = $"List “{list.Name}” deleted.";
        return Redirect("/admin/lists");
    }
}

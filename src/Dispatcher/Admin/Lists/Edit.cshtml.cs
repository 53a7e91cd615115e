using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Lists;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Lists;

[Authorize(Policy = Policies.Admin)]
public sealed class ListEditModel(DispatcherDb db, TimeProvider clock) : AdminPage
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
        bool requireApproval, CancellationToken cancellationToken)
    {
        var list = await db.Lists.SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return NotFound();
        var change = new UpdateListRequest(name ?? "", description ?? "", @public, doubleOptIn, requireApproval, introduction ?? "");
        var errors = change.Validate();
        if (errors.Any) return Failed(string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value)), new { slug });
        change.ApplyTo(list);
        db.Audit.Add(AuditLog.Entry(clock, Caller, "list.updated", $"list:{slug}"));
        await db.SaveChangesAsync(cancellationToken);
        Flash = "Saved.";
        return Redirect($"/admin/lists/{slug}");
    }

    public async Task<IActionResult> OnPostDeleteAsync(string slug, bool sure, CancellationToken cancellationToken)
    {
        var list = await db.Lists.SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return NotFound();
        if (!sure) return Failed("Tick the box to confirm.", new { slug });
        db.Lists.Remove(list);
        db.Audit.Add(AuditLog.Entry(clock, Caller, "list.deleted", $"list:{slug}", list.Name));
        await db.SaveChangesAsync(cancellationToken);
        Flash = $"List “{list.Name}” deleted.";
        return Redirect("/admin/lists");
    }
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Statements;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Statements;

public sealed class StatementDetailsModel(DispatcherDb db, DispatchProgress progress) : AdminPage
{
    public Statement Statement { get; private set; } = null!;
    public List<string> ListNames { get; private set; } = [];
    public List<DispatchResponse> Dispatches { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        var statement = await db.Statements.AsNoTracking().Include(s => s.Lists).SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (statement is null) return NotFound();
        var ids = statement.Lists.Select(l => l.ListId).ToList();
        var lists = await db.Lists.AsNoTracking().Where(l => ids.Contains(l.Id)).ToListAsync(cancellationToken);
        if (lists.Any(l => !Caller.MayUseList(l.Slug)) && Caller.Role == Access.Role.Organiser) return Forbidden();
        Statement = statement;
        ListNames = lists.Select(l => l.Name).Order().ToList();
        var dispatches = await db.Dispatches.AsNoTracking().Where(d => d.StatementId == id).OrderByDescending(d => d.Id).ToListAsync(cancellationToken);
        Dispatches = await progress.DescribeAsync(dispatches, cancellationToken);
        return Page();
    }
}

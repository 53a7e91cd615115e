using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Audit;

[Authorize(Policy = Policies.Admin)]
public sealed class AuditModel(DispatcherDb db) : AdminPage
{
    private const int PageSize = 100;

    [BindProperty(SupportsGet = true)] public string? Action { get; set; }
    public List<AuditEntry> Items { get; private set; } = [];
    public long? Next { get; private set; }

    public async Task OnGetAsync(long? after, CancellationToken cancellationToken)
    {
        var query = db.Audit.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(Action)) query = query.Where(a => a.Action.StartsWith(Action));
        if (after is { } a) query = query.Where(e => e.Id < a);
        var rows = await query.OrderByDescending(e => e.Id).Take(PageSize + 1).ToListAsync(cancellationToken);
        Items = rows.Take(PageSize).ToList();
        Next = rows.Count > PageSize ? rows[PageSize - 1].Id : null;
    }
}

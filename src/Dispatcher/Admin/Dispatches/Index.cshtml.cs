using Dispatcher.Data;
using Dispatcher.Dispatching;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Dispatches;

public sealed class DispatchesModel(DispatcherDb db, DispatchProgress progress) : AdminPage
{
    private const int PageSize = 50;

    [BindProperty(SupportsGet = true)] public string? Kind { get; set; }
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    public List<DispatchResponse> Items { get; private set; } = [];
    public long? Next { get; private set; }

    public async Task OnGetAsync(long? after, CancellationToken cancellationToken)
    {
        var query = db.Dispatches.AsNoTracking();
        if (Enum.TryParse<DispatchKind>(Kind, ignoreCase: true, out var kind)) query = query.Where(d => d.Kind == kind);
        if (Enum.TryParse<DispatchStatus>(Status, ignoreCase: true, out var status)) query = query.Where(d => d.Status == status);
        if (after is { } a) query = query.Where(d => d.Id < a);
        var rows = await query.OrderByDescending(d => d.Id).Take(PageSize + 1).ToListAsync(cancellationToken);
        Items = await progress.DescribeAsync(rows.Take(PageSize).ToList(), cancellationToken);
        Next = rows.Count > PageSize ? rows[PageSize - 1].Id : null;
    }
}

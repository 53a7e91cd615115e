using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Faults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Dispatches;

public sealed class DispatchesModel(DispatcherDb db, DispatchProgress progress, DispatchAccess access, TimeProvider clock) : AdminPage
{
    private const int PageSize = 50;

    [BindProperty(SupportsGet = true)] public string? Kind { get; set; }
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    public List<DispatchResponse> Items { get; private set; } = [];
    public long? Next { get; private set; }

    /// <summary>Bus messages that failed all their retries (admins only): what to look into.</summary>
    public List<FailedMessage> Failures { get; private set; } = [];

    public async Task OnGetAsync(long? after, CancellationToken cancellationToken)
    {
        var query = access.VisibleTo(db.Dispatches.AsNoTracking(), Caller);
        if (Enum.TryParse<DispatchKind>(Kind, ignoreCase: true, out var kind)) query = query.Where(d => d.Kind == kind);
        if (Enum.TryParse<DispatchStatus>(Status, ignoreCase: true, out var status)) query = query.Where(d => d.Status == status);
        if (after is { } a) query = query.Where(d => d.Id < a);
        var rows = await query.OrderByDescending(d => d.Id).Take(PageSize + 1).ToListAsync(cancellationToken);
        Items = await progress.DescribeAsync(rows.Take(PageSize).ToList(), cancellationToken);
        Next = rows.Count > PageSize ? rows[PageSize - 1].Id : null;
        if (Caller.IsAdmin)
            Failures = await db.FailedMessages.AsNoTracking().OrderByDescending(f => f.Id).Take(20).ToListAsync(cancellationToken);
    }

    /// <summary>Clears a failed message from the list once someone has dealt with it (the error queue keeps its copy).</summary>
    public async Task<IActionResult> OnPostDismissAsync(long id, CancellationToken cancellationToken)
    {
        if (!Caller.IsAdmin) return Forbidden();
        if (await db.FailedMessages.Where(f => f.Id == id).ExecuteDeleteAsync(cancellationToken) > 0)
        {
            db.Audit.Add(Dispatcher.Audit.AuditLog.Entry(clock, Caller, "error.dismissed", $"error:{id}"));
            await db.SaveChangesAsync(cancellationToken);
        }
        return Done("Dismissed.");
    }
}

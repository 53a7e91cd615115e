using Dispatcher.Data;
using Dispatcher.Dispatching;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Dispatches;

/// <summary>One dispatch: live progress (polling the Progress handler; the page works without it), rate and time left,
/// the send rate drawn as it goes (the Events handler), pause, resume and cancel, and the deliveries that failed or
/// bounced with the relay's answer.</summary>
public sealed class DispatchDetailsModel(DispatcherDb db, DispatchProgress progress, DispatchControl control, DispatchAccess access) : AdminPage
{
    public sealed record Problem(string? Email, string Status, int Attempts, string? Response);

    public DispatchResponse Dispatch { get; private set; } = null!;
    public string What { get; private set; } = "";
    public bool MayControl { get; private set; }
    public List<Problem> Problems { get; private set; } = [];

    /// <summary>What happened to it, oldest first: paused, resumed, cancelled, what a dead worker held taken over.</summary>
    public List<Dispatcher.Audit.AuditEntry> History { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken)
    {
        if (!await access.MaySeeAsync(id, Caller, cancellationToken) || await progress.GetAsync(id, cancellationToken) is not { } dispatch) return NotFound();
        Dispatch = dispatch;
        What = dispatch.StatementId is { } s ? await db.Statements.Where(x => x.Id == s).Select(x => "“" + x.Title + "”").SingleOrDefaultAsync(cancellationToken) ?? ""
             : dispatch.AlertId is { } a ? await db.Alerts.Where(x => x.Id == a).Select(x => "“" + x.Subject + "”").SingleOrDefaultAsync(cancellationToken) ?? ""
             : dispatch.Kind;
        MayControl = Caller.Role != Access.Role.Publisher;
        var target = $"dispatch:{id}";
        History = await db.Audit.AsNoTracking().Where(a => a.Target == target).OrderByDescending(a => a.Id).Take(50).ToListAsync(cancellationToken);
        History.Reverse();
        if (!Caller.IsAdmin) return Page(); // the people it failed for are for admins only, like the API's deliveries
        Problems = await (from d in db.Deliveries.AsNoTracking()
                          where d.DispatchId == id && (d.Status == DeliveryStatus.Failed || d.Status == DeliveryStatus.Bounced)
                          join p in db.Subscribers on d.SubscriberId equals p.Id into people
                          from p in people.DefaultIfEmpty()
                          orderby d.Id descending
                          select new Problem(p == null ? null : p.Email, d.Status.ToString().ToLower(), d.Attempts, d.RelayResponse))
            .Take(200).ToListAsync(cancellationToken);
        return Page();
    }

    /// <summary>The numbers only, for the page's script.</summary>
    public async Task<IActionResult> OnGetProgressAsync(long id, CancellationToken cancellationToken) =>
        await access.MaySeeAsync(id, Caller, cancellationToken) && await progress.GetAsync(id, cancellationToken) is { } dispatch ? new JsonResult(dispatch) : NotFound();

    /// <summary>The same live progress as the API's events, under the login cookie: the page's send-rate chart.</summary>
    public async Task<IActionResult> OnGetEventsAsync(long id, CancellationToken cancellationToken) =>
        await access.MaySeeAsync(id, Caller, cancellationToken) ? Answer(progress.LiveEvents(id, cancellationToken)) : NotFound();

    public Task<IActionResult> OnPostPauseAsync(long id, CancellationToken cancellationToken) => ControlAsync(control.PauseAsync(id, Caller, cancellationToken), id, "Paused: in-flight messages finish, nothing new starts.");

    public Task<IActionResult> OnPostResumeAsync(long id, CancellationToken cancellationToken) => ControlAsync(control.ResumeAsync(id, Caller, cancellationToken), id, "Resumed.");

    public Task<IActionResult> OnPostCancelAsync(long id, bool sure, CancellationToken cancellationToken) =>
        sure ? ControlAsync(control.CancelAsync(id, Caller, cancellationToken), id, "Cancelled: the rest is skipped.")
             : Task.FromResult(Failed("Tick the box to cancel.", new { id }));

    private async Task<IActionResult> ControlAsync(Task<(ControlOutcome Outcome, string? Detail)> operation, long id, string message)
    {
        var (outcome, detail) = await operation;
        return outcome switch
        {
            ControlOutcome.Done => Done(message, new { id }),
            ControlOutcome.NotFound => NotFound(),
            ControlOutcome.Forbidden => Forbidden(),
            _ => Failed(detail!, new { id }),
        };
    }
}

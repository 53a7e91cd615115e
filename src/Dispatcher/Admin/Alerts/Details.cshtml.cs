using Dispatcher.Access;
using Dispatcher.Alerts;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Dispatcher.Admin.Alerts;

/// <summary>An alert as it will go out (and to how many), with test send, send and approve. Sending needs a tick in a
/// box, so a stray click sends nothing; the service makes sure a second click cannot send twice.</summary>
[Authorize(Policy = Policies.Organiser)]
public sealed class AlertDetailsModel(Data.DispatcherDb db, AlertService alerts, AlertContent content) : AdminPage
{
    public Alert Alert { get; private set; } = null!;
    public AlertPreview Preview { get; private set; } = null!;
    public List<string> ListNames { get; private set; } = [];
    public int Recipients { get; private set; }
    public bool RequiresApproval { get; private set; }
    public string StatusName => AlertsModel.AlertStatusName(Alert.Status);
    public string? RequestedByName { get; private set; }
    public string? ApprovedByName { get; private set; }

    /// <summary>The languages the preview can be shown in: the alert's own and each translation's.</summary>
    public List<string> PreviewLanguages { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, string? language, CancellationToken cancellationToken)
    {
        var found = await alerts.FindAsync(id, Caller, cancellationToken);
        if (found is AlertResult.Forbidden) return Forbidden();
        if (found is not AlertResult.Ok<Alert> { Value: var alert }) return NotFound();
        Alert = alert;
        var lists = await content.ListsOfAsync(alert, cancellationToken);
        ListNames = lists.Select(l => l.Name).ToList();
        RequiresApproval = lists.Any(l => l.RequireApproval);
        Recipients = await alerts.RecipientsAsync(alert, cancellationToken);
        RequestedByName = await db.NameAsync(alert.RequestedBy, cancellationToken);
        ApprovedByName = await db.NameAsync(alert.ApprovedBy, cancellationToken);
        PreviewLanguages = new[] { alert.Language ?? "" }.Concat(alert.Translations.Select(t => t.Language)).Where(l => l.Length > 0).ToList();
        var shown = language is not null && PreviewLanguages.Contains(language) ? language : null;
        Preview = ((AlertResult.Ok<AlertPreview>)await alerts.PreviewAsync(id, shown, Caller, cancellationToken)).Value;
        return Page();
    }

    public async Task<IActionResult> OnPostSendAsync(long id, bool sure, CancellationToken cancellationToken)
    {
        if (!sure) return Failed("Tick the box to confirm you checked it.", new { id });
        return Answer(await alerts.SendAsync(id, Caller, cancellationToken), id);
    }

    public async Task<IActionResult> OnPostApproveAsync(long id, bool sure, CancellationToken cancellationToken)
    {
        if (!sure) return Failed("Tick the box to confirm you checked it.", new { id });
        return Answer(await alerts.ApproveAsync(id, Caller, cancellationToken), id);
    }

    public async Task<IActionResult> OnPostTestAsync(long id, string? email, CancellationToken cancellationToken) =>
        await alerts.TestAsync(id, email, Caller, cancellationToken) switch
        {
            AlertResult.Ok<bool> => Done($"A test copy is on its way to {email}.", new { id }),
            AlertResult.Invalid invalid => Failed(string.Join(" ", invalid.Errors.ToDictionary().SelectMany(e => e.Value)), new { id }),
            AlertResult.Unavailable unavailable => Failed(unavailable.Detail, new { id }),
            AlertResult.TooMany tooMany => Failed(tooMany.Detail, new { id }),
            AlertResult.Forbidden => Forbidden(),
            _ => NotFound(),
        };

    private IActionResult Answer(AlertResult result, long id) => result switch
    {
        AlertResult.Ok<AlertSendResponse> { Value.DispatchId: { } dispatch } => SentTo(dispatch),
        AlertResult.Ok<AlertSendResponse> => Done("Waiting for a second person's approval.", new { id }),
        AlertResult.Conflict conflict => Failed(conflict.Detail, new { id }),
        AlertResult.Forbidden forbidden => Failed(forbidden.Detail, new { id }),
        _ => NotFound(),
    };

    private RedirectResult SentTo(long dispatch)
    {
        Flash = "Sent: it is going out now.";
        return Redirect($"/admin/dispatches/{dispatch}");
    }
}

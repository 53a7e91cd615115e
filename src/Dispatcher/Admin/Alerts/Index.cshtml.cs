using Dispatcher.Access;
using Dispatcher.Alerts;
using Dispatcher.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Alerts;

[Authorize(Policy = Policies.Organiser)]
public sealed class AlertsModel(DispatcherDb db, AlertService alerts) : AdminPage
{
    public sealed record Row(long Id, string Subject, IReadOnlyList<string> Lists, string Status, int Recipients, DateTime CreatedAt);

    public List<Row> Items { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var visible = await db.VisibleLists(Caller).ToDictionaryAsync(l => l.Id, l => l.Slug, cancellationToken);
        var rows = await db.Alerts.AsNoTracking().Include(a => a.Lists).OrderByDescending(a => a.Id).Take(200).ToListAsync(cancellationToken);
        foreach (var alert in rows.Where(a => a.Lists.All(l => visible.ContainsKey(l.ListId))))
            Items.Add(new Row(alert.Id, alert.Subject, alert.Lists.Select(l => visible[l.ListId]).Order().ToList(), AlertStatusName(alert.Status),
                await alerts.RecipientsAsync(alert, cancellationToken), alert.CreatedAt));
    }

    public static string AlertStatusName(AlertStatus status) => status == AlertStatus.PendingApproval ? "pendingApproval" : status.ToString().ToLowerInvariant();
}

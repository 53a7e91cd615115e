using Dispatcher.Bounces;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Lists;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin;

public sealed class DashboardModel(DispatcherDb db, DispatchProgress progress, DispatchAccess access, TimeProvider clock) : AdminPage
{
    public List<ListResponse> Lists { get; private set; } = [];
    public List<DispatchResponse> InFlight { get; private set; } = [];
    public int Confirmed { get; private set; }
    public int Sent30 { get; private set; }
    public int Bounces30 { get; private set; }
    public int Complaints30 { get; private set; }
    public double BounceRate => Sent30 == 0 ? 0 : Bounces30 * 100.0 / Sent30;
    public double ComplaintRate => Sent30 == 0 ? 0 : Complaints30 * 100.0 / Sent30;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var lists = await db.VisibleLists(Caller).OrderBy(l => l.Name).ToListAsync(cancellationToken);
        var ids = lists.Select(l => l.Id).ToList();
        Lists = await db.DescribeAsync(lists, cancellationToken);
        Confirmed = await db.Subscriptions.Where(s => ids.Contains(s.ListId) && s.Status == SubscriptionStatus.Confirmed)
            .Select(s => s.SubscriberId).Distinct().CountAsync(cancellationToken);

        var active = await access.VisibleTo(db.Dispatches.AsNoTracking(), Caller)
            .Where(d => d.Status == DispatchStatus.Sending || d.Status == DispatchStatus.Queued || d.Status == DispatchStatus.Paused)
            .OrderByDescending(d => d.Id).Take(20).ToListAsync(cancellationToken);
        InFlight = await progress.DescribeAsync(active, cancellationToken);

        var since = clock.GetUtcNow().UtcDateTime.AddDays(-30);
        Sent30 = await db.Deliveries.CountAsync(d => d.Status == DeliveryStatus.Sent && d.SentAt >= since, cancellationToken);
        Bounces30 = await db.Bounces.CountAsync(b => b.Kind == BounceKind.Hard && b.CreatedAt >= since, cancellationToken);
        Complaints30 = await db.Bounces.CountAsync(b => b.Kind == BounceKind.Complaint && b.CreatedAt >= since, cancellationToken);
    }
}

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

    /// <summary>How many days the daily charts cover (?days=30 or 90).</summary>
    public int Days { get; private set; }

    /// <summary>The dispatch sending now whose rate is drawn live (the newest), if any.</summary>
    public DispatchResponse? Live { get; private set; }

    /// <summary>What the charts draw, as JSON for admin-charts.js: numbers, dates and list names.</summary>
    public string ChartsJson { get; private set; } = "{}";

    public async Task OnGetAsync(int? days, CancellationToken cancellationToken)
    {
        Days = days is { } d && DashboardCharts.Periods.Contains(d) ? d : DashboardCharts.Periods[0];
        var lists = await db.VisibleLists(Caller).OrderBy(l => l.Name).ToListAsync(cancellationToken);
        var ids = lists.Select(l => l.Id).ToList();
        Lists = await db.DescribeAsync(lists, cancellationToken);
        Confirmed = await db.Subscriptions.Where(s => ids.Contains(s.ListId) && s.Status == SubscriptionStatus.Confirmed)
            .Select(s => s.SubscriberId).Distinct().CountAsync(cancellationToken);

        var active = await access.VisibleTo(db.Dispatches.AsNoTracking(), Caller)
            .Where(d => d.Status == DispatchStatus.Sending || d.Status == DispatchStatus.Queued || d.Status == DispatchStatus.Paused)
            .OrderByDescending(d => d.Id).Take(20).ToListAsync(cancellationToken);
        InFlight = await progress.DescribeAsync(active, cancellationToken);
        Live = InFlight.FirstOrDefault(d => d.Status == "sending");

        var charts = new DashboardCharts(db, access, clock, Caller);
        (Sent30, Bounces30, Complaints30) = await charts.TotalsAsync(clock.GetUtcNow().UtcDateTime.AddDays(-30), cancellationToken);
        ChartsJson = System.Text.Json.JsonSerializer.Serialize(new
        {
            daily = await charts.DailyAsync(Days, cancellationToken),
            confirmed = await charts.ConfirmedPerListAsync(lists.Zip(Lists, (l, r) => (l, r.Subscribers.Confirmed)), Days, cancellationToken),
            alerts = await charts.AlertTimesAsync(cancellationToken),
        });
    }
}

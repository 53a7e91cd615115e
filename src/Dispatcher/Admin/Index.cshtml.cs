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

    /// <summary>What the charts draw, as JSON for admin-charts.js: numbers and dates only (no text anyone typed).</summary>
    public string ChartsJson { get; private set; } = "{}";

    public const int ChartDays = 30;

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
        ChartsJson = System.Text.Json.JsonSerializer.Serialize(new { daily = await DailyAsync(cancellationToken), alerts = await AlertTimesAsync(cancellationToken) });
    }

    /// <summary>Messages sent, bounced and complained about per day over the last <see cref="ChartDays"/> days (days with
    /// none included), as Unix seconds and counts.</summary>
    private async Task<object> DailyAsync(CancellationToken cancellationToken)
    {
        var today = clock.GetUtcNow().UtcDateTime.Date;
        var since = today.AddDays(-(ChartDays - 1));
        var sent = (await db.Deliveries.Where(d => d.Status == DeliveryStatus.Sent && d.SentAt >= since)
            .GroupBy(d => d.SentAt!.Value.Date).Select(g => new { Day = g.Key, Count = g.Count() }).ToListAsync(cancellationToken))
            .ToDictionary(x => x.Day, x => x.Count);
        var bounces = await db.Bounces.Where(b => b.CreatedAt >= since)
            .GroupBy(b => new { b.CreatedAt.Date, Complaint = b.Kind == BounceKind.Complaint })
            .Select(g => new { g.Key.Date, g.Key.Complaint, Count = g.Count() }).ToListAsync(cancellationToken);
        var days = Enumerable.Range(0, ChartDays).Select(i => since.AddDays(i)).ToList();
        return new
        {
            days = days.Select(d => new DateTimeOffset(d, TimeSpan.Zero).ToUnixTimeSeconds()).ToList(),
            sent = days.Select(d => sent.GetValueOrDefault(d)).ToList(),
            bounced = days.Select(d => bounces.Where(b => b.Date == d && !b.Complaint).Sum(b => b.Count)).ToList(),
            complained = days.Select(d => bounces.Where(b => b.Date == d && b.Complaint).Sum(b => b.Count)).ToList(),
        };
    }

    /// <summary>The last 20 finished alerts: seconds from send to the last message accepted.</summary>
    private async Task<object> AlertTimesAsync(CancellationToken cancellationToken)
    {
        var alerts = await access.VisibleTo(db.Dispatches.AsNoTracking(), Caller)
            .Where(d => d.Kind == DispatchKind.Alert && d.Status == DispatchStatus.Completed)
            .OrderByDescending(d => d.Id).Take(20)
            .Select(d => new { d.Id, d.CreatedAt, Last = db.Deliveries.Where(x => x.DispatchId == d.Id && x.SentAt != null).Max(x => x.SentAt) })
            .ToListAsync(cancellationToken);
        var done = alerts.Where(a => a.Last is not null).OrderBy(a => a.Id).ToList();
        return new
        {
            dispatches = done.Select(a => a.Id).ToList(),
            seconds = done.Select(a => Math.Round((a.Last!.Value - a.CreatedAt).TotalSeconds, 2)).ToList(),
        };
    }
}

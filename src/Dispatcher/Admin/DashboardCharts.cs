using Dispatcher.Access;
using Dispatcher.Bounces;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Lists;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin;

/// <summary>What the dashboard's charts draw, for one caller: an organiser sees the messages, bounces, alerts and lists
/// of the lists granted to them only (counts of other lists' sending are theirs to keep). Each chart is a few grouped
/// queries, never a row per person.</summary>
public sealed class DashboardCharts(DispatcherDb db, DispatchAccess access, TimeProvider clock, Caller caller)
{
    /// <summary>The periods the daily charts offer; anything else asked for is the first.</summary>
    public static readonly int[] Periods = [30, 90];

    /// <summary>Lines on the subscribers chart: the largest lists, so that it stays readable.</summary>
    public const int MostLists = 8;

    private DateTime Today => clock.GetUtcNow().UtcDateTime.Date;

    private IQueryable<Delivery> Deliveries => caller.Role == Role.Organiser
        ? db.Deliveries.Where(d => access.VisibleTo(db.Dispatches, caller).Select(x => x.Id).Contains(d.DispatchId))
        : db.Deliveries;

    private IQueryable<Bounce> Bounces => caller.Role == Role.Organiser
        ? db.Bounces.Where(b => Deliveries.Any(d => d.Id == b.DeliveryId))
        : db.Bounces;

    /// <summary>Messages sent and hard bounces and complaints since <paramref name="since"/> (the dashboard's numbers).</summary>
    public async Task<(int Sent, int Bounces, int Complaints)> TotalsAsync(DateTime since, CancellationToken cancellationToken) =>
        (await Deliveries.CountAsync(d => d.Status == DeliveryStatus.Sent && d.SentAt >= since, cancellationToken),
         await Bounces.CountAsync(b => b.Kind == BounceKind.Hard && b.CreatedAt >= since, cancellationToken),
         await Bounces.CountAsync(b => b.Kind == BounceKind.Complaint && b.CreatedAt >= since, cancellationToken));

    /// <summary>Messages sent, bounced and complained about per day over the last <paramref name="days"/> days (days
    /// with none included), as Unix seconds and counts.</summary>
    public async Task<object> DailyAsync(int days, CancellationToken cancellationToken)
    {
        var since = Today.AddDays(-(days - 1));
        var sent = (await Deliveries.Where(d => d.Status == DeliveryStatus.Sent && d.SentAt >= since)
            .GroupBy(d => d.SentAt!.Value.Date).Select(g => new { Day = g.Key, Count = g.Count() }).ToListAsync(cancellationToken))
            .ToDictionary(x => x.Day, x => x.Count);
        var bounces = await Bounces.Where(b => b.CreatedAt >= since)
            .GroupBy(b => new { b.CreatedAt.Date, Complaint = b.Kind == BounceKind.Complaint })
            .Select(g => new { g.Key.Date, g.Key.Complaint, Count = g.Count() }).ToListAsync(cancellationToken);
        var dates = DaysFrom(since, days);
        return new
        {
            days = UnixSeconds(dates),
            sent = dates.Select(d => sent.GetValueOrDefault(d)).ToList(),
            bounced = dates.Select(d => bounces.Where(b => b.Date == d && !b.Complaint).Sum(b => b.Count)).ToList(),
            complained = dates.Select(d => bounces.Where(b => b.Date == d && b.Complaint).Sum(b => b.Count)).ToList(),
        };
    }

    /// <summary>Confirmed subscribers at the end of each day, per list (the <see cref="MostLists"/> largest the caller
    /// may see). Worked out from when each subscription was confirmed and when it stopped being confirmed
    /// (unsubscribed, bounced, complained); people who were erased are gone from the past too, and someone who left and
    /// came back counts from their latest confirmation.</summary>
    public async Task<object> ConfirmedPerListAsync(IEnumerable<(MailingList List, int Confirmed)> lists, int days, CancellationToken cancellationToken)
    {
        var shown = lists.OrderByDescending(l => l.Confirmed).ThenBy(l => l.List.Name).Select(l => l.List).Take(MostLists).ToList();
        var ids = shown.Select(l => l.Id).ToList();
        var since = Today.AddDays(-(days - 1));
        var confirmed = db.Subscriptions.Where(s => ids.Contains(s.ListId) && s.ConfirmedAt != null);
        // Still confirmed at the start of the first day drawn.
        var before = (await confirmed
                .Where(s => s.ConfirmedAt < since && (s.Status == SubscriptionStatus.Confirmed || (s.UnsubscribedAt ?? s.UpdatedAt) >= since))
                .GroupBy(s => s.ListId).Select(g => new { List = g.Key, Count = g.Count() }).ToListAsync(cancellationToken))
            .ToDictionary(x => x.List, x => x.Count);
        var joined = await confirmed.Where(s => s.ConfirmedAt >= since)
            .GroupBy(s => new { s.ListId, s.ConfirmedAt!.Value.Date }).Select(g => new { g.Key.ListId, g.Key.Date, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var left = await confirmed.Where(s => s.Status != SubscriptionStatus.Confirmed && (s.UnsubscribedAt ?? s.UpdatedAt) >= since)
            .GroupBy(s => new { s.ListId, (s.UnsubscribedAt ?? s.UpdatedAt).Date }).Select(g => new { g.Key.ListId, g.Key.Date, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var dates = DaysFrom(since, days);
        return new
        {
            days = UnixSeconds(dates),
            lists = shown.Select(l =>
            {
                var count = before.GetValueOrDefault(l.Id);
                var byDay = dates.Select(d =>
                {
                    count += joined.Where(j => j.ListId == l.Id && j.Date == d).Sum(j => j.Count)
                           - left.Where(x => x.ListId == l.Id && x.Date == d).Sum(x => x.Count);
                    return count;
                }).ToList();
                return new { name = l.Name, confirmed = byDay };
            }).ToList(),
        };
    }

    /// <summary>The last 20 finished alerts: seconds from send to the last message accepted.</summary>
    public async Task<object> AlertTimesAsync(CancellationToken cancellationToken)
    {
        var alerts = await access.VisibleTo(db.Dispatches.AsNoTracking(), caller)
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

    private static List<DateTime> DaysFrom(DateTime since, int days) => Enumerable.Range(0, days).Select(i => since.AddDays(i)).ToList();

    private static List<long> UnixSeconds(List<DateTime> dates) => dates.Select(d => new DateTimeOffset(d, TimeSpan.Zero).ToUnixTimeSeconds()).ToList();
}

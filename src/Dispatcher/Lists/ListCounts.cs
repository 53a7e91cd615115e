using Dispatcher.Data;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Lists;

/// <summary>Lists with their subscriber counts by status, in one GROUP BY for all of them.</summary>
public static class ListCounts
{
    public static async Task<List<ListResponse>> DescribeAsync(this DispatcherDb db, IReadOnlyList<MailingList> lists, CancellationToken cancellationToken)
    {
        var ids = lists.Select(l => l.Id).ToList();
        var counts = await db.Subscriptions.AsNoTracking()
            .Where(s => ids.Contains(s.ListId))
            .GroupBy(s => new { s.ListId, s.Status })
            .Select(g => new { g.Key.ListId, g.Key.Status, Count = g.Count() })
            .ToListAsync(cancellationToken);
        int Count(int list, SubscriptionStatus status) => counts.Where(c => c.ListId == list && c.Status == status).Sum(c => c.Count);
        return lists.Select(l => ListResponse.From(l, new SubscriberCounts(
            Count(l.Id, SubscriptionStatus.Confirmed), Count(l.Id, SubscriptionStatus.Unconfirmed), Count(l.Id, SubscriptionStatus.Unsubscribed)))).ToList();
    }
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Lists;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

/// <summary>A list's welcome email, once per subscription, when it becomes confirmed: each subscription is marked with a
/// conditional update (only one of two confirmations at once marks it), in the caller's transaction, and those marked
/// get a delivery of a "welcome" dispatch, published after the commit like a confirmation.</summary>
public sealed class Welcomes(DispatcherDb db, Confirmations queue, TimeProvider clock)
{
    /// <summary>Marks and queues; returns the dispatch to publish after committing (<paramref name="into"/> when one is
    /// already being filled, batch by batch).</summary>
    public async Task<Dispatch?> AddAsync(MailingList list, IEnumerable<long> subscriberIds, Dispatch? into, CancellationToken cancellationToken)
    {
        if (!list.Welcomes) return into;
        var now = clock.GetUtcNow().UtcDateTime;
        var marked = new List<(long SubscriberId, int ListId)>();
        foreach (var subscriberId in subscriberIds.Distinct())
        {
            var won = await db.Subscriptions
                .Where(s => s.SubscriberId == subscriberId && s.ListId == list.Id && s.Status == SubscriptionStatus.Confirmed && s.WelcomedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.WelcomedAt, now), cancellationToken);
            if (won == 1) marked.Add((subscriberId, list.Id));
        }
        if (marked.Count == 0) return into;
        if (into is null) return await queue.AddAsync(marked, cancellationToken, DispatchKind.Welcome);
        await queue.AppendAsync(into, marked, cancellationToken);
        return into;
    }

    public Task PublishAsync(Dispatch? dispatch, CancellationToken cancellationToken) => queue.PublishAsync(dispatch, cancellationToken);
}

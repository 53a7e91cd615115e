using Dispatcher.Data;
using Dispatcher.Dispatching;
using Microsoft.EntityFrameworkCore;
using Dispatcher.Mail;

namespace Dispatcher.Subscribers;

/// <summary>Queues the emails about a person's own subscription — confirmations, and welcomes once confirmed: a dispatch
/// of that kind on the urgent lane, so they go out promptly even while a big send is running. It is planned on the spot — its Delivery rows are written in the caller's
/// transaction with the subscriptions they confirm — and published after the commit.</summary>
public sealed class Confirmations(DispatcherDb db, BatchPublisher batches, TimeProvider clock, ILogger<Confirmations> logger)
{
    /// <summary>Adds the dispatch and one delivery per (person, list); call <see cref="PublishAsync"/> after committing.</summary>
    public async Task<Dispatch?> AddAsync(IReadOnlyCollection<(long SubscriberId, int ListId)> people, CancellationToken cancellationToken,
        DispatchKind kind = DispatchKind.Confirmation)
    {
        if (people.Count == 0) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        var dispatch = new Dispatch
        {
            Kind = kind,
            Lane = Dispatch.LaneFor(kind),
            Status = DispatchStatus.Sending,
            Total = people.Count,
            CreatedAt = now,
            PlannedAt = now,
            StartedAt = now,
            LastActivityAt = now,
        };
        db.Dispatches.Add(dispatch);
        await db.SaveChangesAsync(cancellationToken);
        await AppendAsync(dispatch, people, cancellationToken);
        return dispatch;
    }

    /// <summary>Adds more people to a confirmation dispatch (an import, batch by batch).</summary>
    public async Task AppendAsync(Dispatch dispatch, IReadOnlyCollection<(long SubscriberId, int ListId)> people, CancellationToken cancellationToken)
    {
        foreach (var (subscriberId, listId) in people)
            db.Deliveries.Add(new Delivery { DispatchId = dispatch.Id, SubscriberId = subscriberId, ListId = listId });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The lists one of these dispatches is for: those of its deliveries.</summary>
    public static async Task<List<Lists.MailingList>> ListsOfAsync(DispatcherDb db, long dispatchId, CancellationToken cancellationToken)
    {
        var listIds = await db.Deliveries.AsNoTracking().Where(d => d.DispatchId == dispatchId).Select(d => d.ListId).Distinct().ToListAsync(cancellationToken);
        return await db.Lists.AsNoTracking().Where(l => listIds.Contains(l.Id)).ToListAsync(cancellationToken);
    }

    /// <summary>Best effort: if the bus is unavailable, the sweeper re-drives the dispatch from its rows.</summary>
    public async Task PublishAsync(Dispatch? dispatch, CancellationToken cancellationToken)
    {
        if (dispatch is null) return;
        try
        {
            await db.Dispatches.Where(d => d.Id == dispatch.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Total, d => db.Deliveries.Count(x => x.DispatchId == d.Id)), cancellationToken);
            await batches.PublishPendingAsync(dispatch.Id, dispatch.Lane, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Could not publish {Kind} dispatch {DispatchId}; the sweeper will send it", dispatch.Kind, dispatch.Id);
        }
    }
}

using Dispatcher.Access;
using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Dispatching;

/// <summary>A sending feature's part in who may see its dispatches: it alone knows which lists a dispatch of its kind
/// went to.</summary>
public interface IDispatchAudience
{
    /// <summary>The ids of this kind's dispatches whose lists are all among <paramref name="grantedListIds"/>.</summary>
    IQueryable<long> DispatchesWithin(IQueryable<int> grantedListIds);
}

/// <summary>Who may see and control which dispatch — one rule for the API and the admin pages. Admins: every dispatch.
/// Publishers: every dispatch's numbers (they publish to any list). Organisers: the dispatches whose lists they are all
/// granted, as each sending feature's <see cref="IDispatchAudience"/> says (statements and alerts); digests and
/// confirmations go to people of every list, so not those. Nobody but an admin sees the people of a dispatch (its
/// deliveries hold their addresses).</summary>
public sealed class DispatchAccess(DispatcherDb db, IEnumerable<IDispatchAudience> audiences)
{
    /// <summary>The dispatches of <paramref name="query"/> the caller may see.</summary>
    public IQueryable<Dispatch> VisibleTo(IQueryable<Dispatch> query, Caller caller)
    {
        if (caller.Role != Role.Organiser) return query;
        var granted = caller.GrantedLists.ToList();
        var grantedIds = db.Lists.Where(l => granted.Contains(l.Slug)).Select(l => l.Id);
        var visible = audiences.Select(a => a.DispatchesWithin(grantedIds)).Aggregate((IQueryable<long>?)null, (all, one) => all is null ? one : all.Concat(one));
        return visible is null ? query.Where(_ => false) : query.Where(d => visible.Contains(d.Id));
    }

    /// <summary>Whether the caller may see dispatch <paramref name="id"/> (false also when there is none).</summary>
    public Task<bool> MaySeeAsync(long id, Caller caller, CancellationToken cancellationToken) =>
        VisibleTo(db.Dispatches.Where(d => d.Id == id), caller).AnyAsync(cancellationToken);

    /// <summary>Its queries, for an admin and for an organiser, against dispatch 0 (see SendPathWarmUp).</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await MaySeeAsync(SendPathWarmUp.None, Caller.System, cancellationToken);
        await MaySeeAsync(SendPathWarmUp.None, new Caller("warm-up", "warm-up", Role.Organiser, new HashSet<string> { "warm-up" }), cancellationToken);
    }
}

using Dispatcher.Access;
using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Dispatching;

/// <summary>Who may see and control which dispatch — one rule for the API and the admin pages. Admins: every dispatch.
/// Publishers: every dispatch's numbers (they publish to any list). Organisers: the dispatches of statements and
/// alerts whose lists they are all granted; digests and confirmations go to people of every list, so not those.
/// Nobody but an admin sees the people of a dispatch (its deliveries hold their addresses).</summary>
public static class DispatchAccess
{
    /// <summary>The dispatches of <paramref name="query"/> the caller may see.</summary>
    public static IQueryable<Dispatch> VisibleTo(this IQueryable<Dispatch> query, DispatcherDb db, Caller caller)
    {
        if (caller.Role != Role.Organiser) return query;
        var granted = caller.GrantedLists.ToList();
        var grantedIds = db.Lists.Where(l => granted.Contains(l.Slug)).Select(l => l.Id);
        return query.Where(d =>
            (d.Kind == DispatchKind.Statement && db.StatementLists.Where(l => l.StatementId == d.StatementId).All(l => grantedIds.Contains(l.ListId)))
            || (d.Kind == DispatchKind.Alert && db.AlertLists.Where(l => l.AlertId == d.AlertId).All(l => grantedIds.Contains(l.ListId))));
    }

    /// <summary>Whether the caller may see dispatch <paramref name="id"/> (false also when there is none).</summary>
    public static Task<bool> MaySeeAsync(this DispatcherDb db, long id, Caller caller, CancellationToken cancellationToken) =>
        db.Dispatches.Where(d => d.Id == id).VisibleTo(db, caller).AnyAsync(cancellationToken);
}

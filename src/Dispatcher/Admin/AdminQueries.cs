using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Lists;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin;

/// <summary>Queries the admin pages share, already narrowed to what the person may see.</summary>
public static class AdminQueries
{
    /// <summary>Admins and publishers see every list; organisers only the ones they are granted.</summary>
    public static IQueryable<MailingList> VisibleLists(this DispatcherDb db, Caller caller)
    {
        var lists = db.Lists.AsNoTracking();
        if (caller.Role != Role.Organiser) return lists;
        var granted = caller.GrantedLists.ToList();
        return lists.Where(l => granted.Contains(l.Slug));
    }
}

using Dispatcher.Data;
using Dispatcher.Dispatching;

namespace Dispatcher.Alerts;

/// <summary>An alert's dispatch is an organiser's when every list the alert went to is granted them.</summary>
public sealed class AlertAudience(DispatcherDb db) : IDispatchAudience
{
    public IQueryable<long> DispatchesWithin(IQueryable<int> grantedListIds) =>
        db.Dispatches.Where(d => d.Kind == DispatchKind.Alert
                && db.AlertLists.Where(l => l.AlertId == d.AlertId).All(l => grantedListIds.Contains(l.ListId)))
            .Select(d => d.Id);
}

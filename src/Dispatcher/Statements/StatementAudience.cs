using Dispatcher.Data;
using Dispatcher.Dispatching;

namespace Dispatcher.Statements;

/// <summary>A statement's dispatch is an organiser's when every list the statement went to is granted them.</summary>
public sealed class StatementAudience(DispatcherDb db) : IDispatchAudience
{
    public IQueryable<long> DispatchesWithin(IQueryable<int> grantedListIds) =>
        db.Dispatches.Where(d => d.Kind == DispatchKind.Statement
                && db.StatementLists.Where(l => l.StatementId == d.StatementId).All(l => grantedListIds.Contains(l.ListId)))
            .Select(d => d.Id);
}

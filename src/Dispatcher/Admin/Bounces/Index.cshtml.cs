using Dispatcher.Access;
using Dispatcher.Bounces;
using Dispatcher.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Bounces;

[Authorize(Policy = Policies.Admin)]
public sealed class BouncesModel(DispatcherDb db, TimeProvider clock) : AdminPage
{
    public sealed record Row(DateTime At, string? Email, string Kind, string Source, string? Reason);

    public List<Row> Items { get; private set; } = [];
    public int Hard30 { get; private set; }
    public int Soft30 { get; private set; }
    public int Complaints30 { get; private set; }
    public int Suppressed { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow().UtcDateTime.AddDays(-30);
        var recent = await db.Bounces.AsNoTracking().Where(b => b.CreatedAt >= since).GroupBy(b => b.Kind)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        Hard30 = recent.Where(r => r.Key == BounceKind.Hard).Sum(r => r.Count);
        Soft30 = recent.Where(r => r.Key == BounceKind.Soft).Sum(r => r.Count);
        Complaints30 = recent.Where(r => r.Key == BounceKind.Complaint).Sum(r => r.Count);
        Suppressed = await db.Suppressions.CountAsync(cancellationToken);
        Items = await (from b in db.Bounces.AsNoTracking()
                       join p in db.Subscribers on b.SubscriberId equals p.Id into people
                       from p in people.DefaultIfEmpty()
                       orderby b.Id descending
                       select new Row(b.CreatedAt, p == null ? null : p.Email, b.Kind.ToString().ToLower(), b.Source, b.Reason))
            .Take(200).ToListAsync(cancellationToken);
    }
}

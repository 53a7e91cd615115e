using Dispatcher.Data;
using Dispatcher.Statements;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Statements;

public sealed class StatementsModel(DispatcherDb db) : AdminPage
{
    private const int PageSize = 50;

    public List<StatementResponse> Items { get; private set; } = [];
    public long? Next { get; private set; }

    public async Task OnGetAsync(long? after, CancellationToken cancellationToken)
    {
        var visible = await db.VisibleLists(Caller).Select(l => l.Id).ToListAsync(cancellationToken);
        var query = db.Statements.AsNoTracking().Where(s => s.Lists.Any(l => visible.Contains(l.ListId)));
        if (after is { } a) query = query.Where(s => s.Id < a);
        var rows = await query.Include(s => s.Translations).OrderByDescending(s => s.Id).Take(PageSize + 1).AsSplitQuery().ToListAsync(cancellationToken);
        var ids = rows.Select(r => r.Id).ToList();
        var slugs = (await (from sl in db.StatementLists join l in db.Lists on sl.ListId equals l.Id where ids.Contains(sl.StatementId) select new { sl.StatementId, l.Slug })
            .ToListAsync(cancellationToken)).ToLookup(x => x.StatementId, x => x.Slug);
        Items = rows.Take(PageSize).Select(s => new StatementResponse(s.Id, s.ExternalId, s.Title, s.Author, s.PublishedAt, s.Summary, s.Url,
            slugs[s.Id].Order().ToList(), s.CreatedAt, s.Language ?? "",
            s.Translations.OrderBy(t => t.Language, StringComparer.Ordinal).Select(t => new StatementTranslationResponse(t.Language, t.Title, t.Author, t.Summary, t.Url)).ToList())).ToList();
        Next = rows.Count > PageSize ? rows[PageSize - 1].Id : null;
    }
}

using Dispatcher.Data;
using Dispatcher.Lists;
using Dispatcher.Statements;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Statements;

public sealed class NewStatementModel(DispatcherDb db, StatementPublisher publisher) : AdminPage
{
    public List<MailingList> Lists { get; private set; } = [];
    public List<string> Errors { get; private set; } = [];

    [BindProperty] public string? Title { get; set; }
    [BindProperty] public string? Author { get; set; }
    [BindProperty] public string? Link { get; set; }
    [BindProperty] public string? Summary { get; set; }
    [BindProperty] public string? BodyMarkdown { get; set; }
    [BindProperty] public List<string> ListSlugs { get; set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Lists = await db.VisibleLists(Caller).OrderBy(l => l.Name).ToListAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var request = new PublishStatementRequest(Title, Author, null, Summary, null, BodyMarkdown, Link, ListSlugs, null);
        var result = await publisher.PublishAsync(request, Caller, cancellationToken);
        switch (result)
        {
            case PublishResult.Accepted accepted:
                Flash = accepted.Response.DispatchId is null ? "Published: it goes out in the next digests." : "Published and on its way.";
                return Redirect($"/admin/statements/{accepted.Response.Id}");
            case PublishResult.Forbidden:
                return Forbidden();
            case PublishResult.Invalid invalid:
                Errors = invalid.Errors.ToDictionary().SelectMany(e => e.Value).ToList();
                break;
        }
        await OnGetAsync(cancellationToken);
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}

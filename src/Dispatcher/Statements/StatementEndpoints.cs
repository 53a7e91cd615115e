using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Statements;

public static class StatementEndpoints
{
    public static RouteGroupBuilder MapStatements(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/statements").WithTags("Statements").RequireAuthorization(Policies.Publisher);
        group.MapPost("/", Publish);
        group.MapGet("/", List);
        group.MapGet("/{id:long}", Get);
        return api;
    }

    private static async Task<Results<Accepted<PublishStatementResponse>, Ok<PublishStatementResponse>, ValidationProblem, ProblemHttpResult>> Publish(
        PublishStatementRequest request, StatementPublisher publisher, HttpContext http, CancellationToken cancellationToken)
    {
        var result = await publisher.PublishAsync(request, Caller.From(http.User), cancellationToken);
        return result switch
        {
            PublishResult.Accepted a => TypedResults.Accepted($"/api/statements/{a.Response.Id}", a.Response),
            PublishResult.Duplicate d => TypedResults.Ok(d.Response),
            PublishResult.Invalid i => i.Errors.ToProblem(),
            PublishResult.Forbidden f => ApiProblem.Forbidden(f.Detail),
            _ => throw new InvalidOperationException("Unknown publish result."),
        };
    }

    private static async Task<Results<Ok<Page<StatementResponse>>, ValidationProblem>> List(
        DispatcherDb db, IOptions<DispatcherOptions> options, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        if (errors.Any) return errors.ToProblem();

        var query = db.Statements.AsNoTracking();
        if (page.After is { } afterId) query = query.Where(s => s.Id < afterId);
        var rows = await query.Include(s => s.Translations).OrderByDescending(s => s.Id).Take(page.Limit + 1).AsSplitQuery().ToListAsync(cancellationToken);
        var slugs = await ListSlugsAsync(db, rows.Select(r => r.Id).ToList(), cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, s => s.Id, s => ToResponse(s, slugs, options)));
    }

    private static async Task<Results<Ok<StatementResponse>, ProblemHttpResult>> Get(
        long id, DispatcherDb db, IOptions<DispatcherOptions> options, CancellationToken cancellationToken)
    {
        var statement = await db.Statements.AsNoTracking().Include(s => s.Translations).SingleOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (statement is null) return ApiProblem.NotFound($"There is no statement {id}.");
        var slugs = await ListSlugsAsync(db, [id], cancellationToken);
        return TypedResults.Ok(ToResponse(statement, slugs, options));
    }

    private static async Task<ILookup<long, string>> ListSlugsAsync(DispatcherDb db, List<long> statementIds, CancellationToken cancellationToken)
    {
        var pairs = await (from sl in db.StatementLists
                           join l in db.Lists on sl.ListId equals l.Id
                           where statementIds.Contains(sl.StatementId)
                           select new { sl.StatementId, l.Slug }).ToListAsync(cancellationToken);
        return pairs.ToLookup(p => p.StatementId, p => p.Slug);
    }

    private static StatementResponse ToResponse(Statement s, ILookup<long, string> slugs, IOptions<DispatcherOptions> options) =>
        new(s.Id, s.ExternalId, s.Title, s.Author, s.PublishedAt, s.Summary, s.Url, slugs[s.Id].Order().ToList(), s.CreatedAt,
            s.Language ?? options.Value.LanguageOf(null),
            s.Translations.OrderBy(t => t.Language, StringComparer.Ordinal).Select(t => new StatementTranslationResponse(t.Language, t.Title, t.Author, t.Summary, t.Url)).ToList(),
            s.Audience.OrNull);
}

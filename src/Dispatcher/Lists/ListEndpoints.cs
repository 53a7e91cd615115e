using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Lists;

public static class ListEndpoints
{
    public static RouteGroupBuilder MapLists(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/lists").WithTags("Lists");
        group.MapPost("/", Create).RequireAuthorization(Policies.Admin);
        group.MapGet("/", List).RequireAuthorization(Policies.Publisher);
        group.MapGet("/{slug}", Get).RequireAuthorization(Policies.Publisher);
        group.MapPatch("/{slug}", Update).RequireAuthorization(Policies.Admin);
        group.MapDelete("/{slug}", Delete).RequireAuthorization(Policies.Admin);
        return api;
    }

    private static async Task<Results<Created<ListResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateListRequest request, ListService lists, HttpContext http, CancellationToken cancellationToken) =>
        await lists.CreateAsync(request, Caller.From(http.User), cancellationToken) switch
        {
            ListChange.Done { List: var list } => TypedResults.Created($"/api/lists/{list.Slug}", ListResponse.From(list, new SubscriberCounts(0, 0, 0))),
            ListChange.Invalid invalid => invalid.Errors.ToProblem(),
            ListChange.SlugTaken taken => ApiProblem.Conflict(ListService.SlugTakenMessage(taken.Slug)),
            _ => throw new InvalidOperationException("Creating a list cannot find it missing."),
        };

    private static async Task<Results<Ok<Page<ListResponse>>, ValidationProblem>> List(
        DispatcherDb db, HttpContext http, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        if (errors.Any) return errors.ToProblem();

        var caller = Caller.From(http.User);
        var query = db.Lists.AsNoTracking();
        if (caller.Role == Role.Organiser)
        {
            var granted = caller.GrantedLists.ToList();
            query = query.Where(l => granted.Contains(l.Slug)); // organisers see only the lists they are granted
        }
        if (page.After is { } afterId) query = query.Where(l => l.Id < afterId);
        var rows = await query.OrderByDescending(l => l.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        var described = (await db.DescribeAsync(rows, cancellationToken)).Zip(rows, (d, l) => (Row: l, Response: d)).ToList();
        return TypedResults.Ok(page.ToPage(described, x => x.Row.Id, x => x.Response));
    }

    private static async Task<Results<Ok<ListResponse>, ProblemHttpResult>> Get(
        string slug, DispatcherDb db, HttpContext http, CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null || (caller.Role == Role.Organiser && !caller.MayUseList(slug))) return ApiProblem.NotFound($"There is no list '{slug}'.");
        return TypedResults.Ok((await db.DescribeAsync([list], cancellationToken))[0]);
    }

    private static async Task<Results<Ok<ListResponse>, ValidationProblem, ProblemHttpResult>> Update(
        string slug, UpdateListRequest request, ListService lists, DispatcherDb db, HttpContext http, CancellationToken cancellationToken) =>
        await lists.UpdateAsync(slug, request, Caller.From(http.User), cancellationToken) switch
        {
            ListChange.Done { List: var list } => TypedResults.Ok((await db.DescribeAsync([list], cancellationToken))[0]),
            ListChange.Invalid invalid => invalid.Errors.ToProblem(),
            _ => ApiProblem.NotFound($"There is no list '{slug}'."),
        };

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string slug, ListService lists, HttpContext http, CancellationToken cancellationToken) =>
        await lists.DeleteAsync(slug, Caller.From(http.User), cancellationToken) is ListChange.Done
            ? TypedResults.NoContent()
            : ApiProblem.NotFound($"There is no list '{slug}'.");
}

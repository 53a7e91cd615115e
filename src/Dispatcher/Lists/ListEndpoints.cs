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
        CreateListRequest request, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Any) return errors.ToProblem();

        var slug = request.Slug!.Trim();
        if (await db.Lists.AnyAsync(l => l.Slug == slug, cancellationToken)) return SlugTaken(slug);

        var list = new MailingList
        {
            Slug = slug,
            Name = request.Name!.Trim(),
            Description = request.Description?.Trim() is { Length: > 0 } d ? d : null,
            Introduction = request.Introduction?.Trim() is { Length: > 0 } i ? i : null,
            Public = request.Public ?? true,
            DoubleOptIn = request.DoubleOptIn ?? true,
            RequireApproval = request.RequireApproval ?? false,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Lists.Add(list);
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "list.created", $"list:{slug}", list.Name));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            return SlugTaken(slug); // created by someone else a moment ago
        }
        return TypedResults.Created($"/api/lists/{slug}", ListResponse.From(list, new SubscriberCounts(0, 0, 0)));
    }

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
        string slug, UpdateListRequest request, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Any) return errors.ToProblem();
        var list = await db.Lists.SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return ApiProblem.NotFound($"There is no list '{slug}'.");

        request.ApplyTo(list);
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "list.updated", $"list:{slug}"));
        await db.SaveChangesAsync(cancellationToken);

        return TypedResults.Ok((await db.DescribeAsync([list], cancellationToken))[0]);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string slug, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var list = await db.Lists.SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return ApiProblem.NotFound($"There is no list '{slug}'.");
        db.Lists.Remove(list); // its subscriptions go with it; people stay, with their other lists
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "list.deleted", $"list:{slug}", list.Name));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult SlugTaken(string slug) =>
        ApiProblem.Conflict($"A list with slug '{slug}' exists already.");
}

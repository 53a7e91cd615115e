using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Feeds;

/// <param name="Language">The language of its items; absent: Dispatcher:DefaultLanguage.</param>
/// <param name="Translates">The id of the feed this one translates (then <paramref name="Language"/> is required and
/// <paramref name="Lists"/> are that feed's).</param>
public sealed record CreateFeedRequest(string? Url, List<string>? Lists, int? PollMinutes, bool? SendImmediately, string? Language = null, int? Translates = null);

public sealed record FeedResponse(
    int Id, string Url, IReadOnlyList<string> Lists, int PollMinutes, bool SendImmediately, DateTime CreatedAt,
    DateTime? LastPolledAt, DateTime? LastSuccessAt, DateTime NextPollAt, string? LastError, int ConsecutiveFailures,
    string? Language, int? Translates);

public sealed record FeedCreated(int Id);

public static class FeedEndpoints
{
    public static RouteGroupBuilder MapFeeds(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/feeds").WithTags("Feeds").RequireAuthorization(Policies.Admin);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:int}", Get);
        group.MapPost("/{id:int}/poll", Poll);
        group.MapDelete("/{id:int}", Delete);
        return api;
    }

    private static async Task<Results<Created<FeedCreated>, ValidationProblem>> Create(
        CreateFeedRequest request, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var url = errors.Url("url", request.Url, required: true);
        if (request.PollMinutes is < 1 or > 10080) errors.Add("pollMinutes", "'pollMinutes' must be between 1 and 10080 (a week).");
        var language = errors.Language("language", request.Language, required: request.Translates is not null);
        Feed? original = null;
        if (request.Translates is { } originalId)
        {
            original = await db.Feeds.AsNoTracking().SingleOrDefaultAsync(f => f.Id == originalId, cancellationToken);
            if (original is null) errors.Add("translates", $"There is no feed {originalId}.");
            else if (original.TranslatesFeedId is not null) errors.Add("translates", $"Feed {originalId} is itself a translation: name the feed it translates.");
            else if (language is not null && string.Equals(original.Language ?? "", language, StringComparison.OrdinalIgnoreCase))
                errors.Add("language", $"Feed {originalId} is in '{language}' already: a translation is in another language.");
        }
        var slugs = (request.Lists ?? []).Select(s => s?.Trim() ?? "").Distinct().ToList();
        if (slugs.Count == 0 && original is null) errors.Add("lists", "'lists' must name at least one list.");
        var lists = await db.Lists.Where(l => slugs.Contains(l.Slug)).ToListAsync(cancellationToken);
        for (var i = 0; i < slugs.Count; i++)
            if (lists.All(l => l.Slug != slugs[i])) errors.Add($"lists[{i}]", $"There is no list '{slugs[i]}'.");
        if (errors.Any) return errors.ToProblem();

        var now = clock.GetUtcNow().UtcDateTime;
        var feed = new Feed
        {
            Url = url!,
            PollMinutes = request.PollMinutes ?? 15,
            SendImmediately = request.SendImmediately ?? true,
            Language = language,
            TranslatesFeedId = original?.Id,
            Lists = original is null ? lists.Select(l => new FeedList { ListId = l.Id }).ToList() : [],
            CreatedAt = now,
            NextPollAt = now,
        };
        db.Feeds.Add(feed);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "feed.created", $"feed:{feed.Id}", feed.Url));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/feeds/{feed.Id}", new FeedCreated(feed.Id));
    }

    private static async Task<Ok<Page<FeedResponse>>> List(DispatcherDb db, CancellationToken cancellationToken)
    {
        var feeds = await db.Feeds.AsNoTracking().Include(f => f.Lists).OrderByDescending(f => f.Id).ToListAsync(cancellationToken);
        var slugs = await db.Lists.AsNoTracking().ToDictionaryAsync(l => l.Id, l => l.Slug, cancellationToken);
        return TypedResults.Ok(new Page<FeedResponse>(feeds.Select(f => ToResponse(f, slugs)).ToList(), null));
    }

    private static async Task<Results<Ok<FeedResponse>, ProblemHttpResult>> Get(int id, DispatcherDb db, CancellationToken cancellationToken)
    {
        var feed = await db.Feeds.AsNoTracking().Include(f => f.Lists).SingleOrDefaultAsync(f => f.Id == id, cancellationToken);
        if (feed is null) return ApiProblem.NotFound($"There is no feed {id}.");
        var slugs = await db.Lists.AsNoTracking().ToDictionaryAsync(l => l.Id, l => l.Slug, cancellationToken);
        return TypedResults.Ok(ToResponse(feed, slugs));
    }

    /// <summary>Polls now: 200 {added}. A feed that cannot be read answers 502 with why (also kept on the feed).</summary>
    private static async Task<Results<Ok<PollResult>, ProblemHttpResult>> Poll(int id, DispatcherDb db, FeedPoller poller, CancellationToken cancellationToken)
    {
        if (!await db.Feeds.AnyAsync(f => f.Id == id, cancellationToken)) return ApiProblem.NotFound($"There is no feed {id}.");
        var result = await poller.PollAsync(id, cancellationToken);
        return result.Error is null
            ? TypedResults.Ok(result)
            : TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The feed could not be read", detail: result.Error);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(int id, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var feed = await db.Feeds.SingleOrDefaultAsync(f => f.Id == id, cancellationToken);
        if (feed is null) return ApiProblem.NotFound($"There is no feed {id}.");
        db.Feeds.Remove(feed);
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "feed.deleted", $"feed:{id}", feed.Url));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static FeedResponse ToResponse(Feed f, Dictionary<int, string> slugs) =>
        new(f.Id, f.Url, f.Lists.Select(l => slugs.GetValueOrDefault(l.ListId, "?")).Order().ToList(), f.PollMinutes, f.SendImmediately,
            f.CreatedAt, f.LastPolledAt, f.LastSuccessAt, f.NextPollAt, f.LastError, f.ConsecutiveFailures, f.Language, f.TranslatesFeedId);
}

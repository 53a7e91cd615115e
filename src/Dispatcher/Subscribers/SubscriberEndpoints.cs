using Microsoft.Extensions.Options;
using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

public sealed record SubscriberResponse(string Email, string? Name, DateTime CreatedAt, string? Language, string? TimeZone,
    IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<SubscriptionDetail> Subscriptions);

public sealed record SubscriptionDetail(string List, string Status, string Cadence, bool Alerts, DateTime CreatedAt, DateTime? ConfirmedAt, DateTime? UnsubscribedAt);

public sealed record ListMember(string Email, string? Name, string Status, string Cadence, bool Alerts, DateTime CreatedAt, DateTime UpdatedAt);

public static class SubscriberEndpoints
{
    public const long MaxImportBytes = 200 * 1024 * 1024;

    public static RouteGroupBuilder MapSubscribers(this RouteGroupBuilder api)
    {
        var lists = api.MapGroup("/lists/{slug}").WithTags("Subscribers").RequireAuthorization(Policies.Admin);
        lists.MapPost("/subscribers", Add);
        lists.MapGet("/subscribers", List);
        lists.MapGet("/export", Export).Produces<string>(StatusCodes.Status200OK, "text/csv").ProducesProblem(StatusCodes.Status404NotFound);
        lists.MapPost("/import", Import); // body: text/csv (checked in the handler, so a wrong type is a 415 problem)

        var people = api.MapGroup("/subscribers").WithTags("Subscribers").RequireAuthorization(Policies.Admin);
        people.MapGet("/{email}", Get);
        people.MapDelete("/{email}", Erase);
        return api;
    }

    private static async Task<Results<Created<SubscriptionResponse>, Ok<SubscriptionResponse>, ValidationProblem, ProblemHttpResult>> Add(
        string slug, AddSubscriberRequest request, DispatcherDb db, SubscriptionService subscriptions, HttpContext http,
        IOptions<DispatcherOptions> options, bool? welcome, CancellationToken cancellationToken)
    {
        var errors = request.Validate(options.Value.ReaderLanguages, out var email, out var cadence, out var details);
        if (errors.Any) return errors.ToProblem();
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return ApiProblem.NotFound($"There is no list '{slug}'.");

        var result = await subscriptions.AddAsync(list, email!, request.Name, cadence, request.Alerts, request.Confirmed ?? false,
            Caller.From(http.User), cancellationToken, details, welcome ?? false);
        var response = SubscriptionResponse.From(result.Subscriber, result.Subscription, slug);
        return result.Outcome switch
        {
            AddOutcome.Created => TypedResults.Created($"/api/subscribers/{Uri.EscapeDataString(result.Subscriber.Email)}", response),
            AddOutcome.Updated => TypedResults.Ok(response),
            _ => ApiProblem.Conflict(result.Reason!),
        };
    }

    private static async Task<Results<Ok<SubscriberResponse>, ValidationProblem, ProblemHttpResult>> Get(
        string email, DispatcherDb db, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryNormalise(email, out var normalised, out var error)) return Invalid("email", error);
        var subscriber = await db.Subscribers.AsNoTracking().SingleOrDefaultAsync(s => s.Email == normalised, cancellationToken);
        if (subscriber is null) return ApiProblem.NotFound("There is no subscriber with this address.");
        var subscriptions = await (from s in db.Subscriptions
                                   join l in db.Lists on s.ListId equals l.Id
                                   where s.SubscriberId == subscriber.Id
                                   orderby l.Slug
                                   select new SubscriptionDetail(l.Slug, s.Status.ToString(), s.Cadence.ToString(), s.Alerts, s.CreatedAt, s.ConfirmedAt, s.UnsubscribedAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new SubscriberResponse(subscriber.Email, subscriber.Name, subscriber.CreatedAt,
            subscriber.Language, subscriber.TimeZone, subscriber.Attributes,
            subscriptions.Select(s => s with { Status = s.Status.ToLowerInvariant(), Cadence = s.Cadence.ToLowerInvariant() }).ToList()));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Erase(
        string email, SubscriberEraser eraser, HttpContext http, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryNormalise(email, out var normalised, out var error)) return Invalid("email", error);
        return await eraser.EraseAsync(normalised, Caller.From(http.User), cancellationToken)
            ? TypedResults.NoContent()
            : ApiProblem.NotFound("There is no subscriber with this address.");
    }

    /// <summary>Keyset paging by subscriber, newest first; filter by status, search email and name with q.</summary>
    private static async Task<Results<Ok<Page<ListMember>>, ValidationProblem, ProblemHttpResult>> List(
        string slug, DispatcherDb db, string? status, string? q, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        SubscriptionStatus? statusFilter = null;
        if (status is not null)
        {
            if (Enum.TryParse<SubscriptionStatus>(status, ignoreCase: true, out var parsed) && !int.TryParse(status, out _)) statusFilter = parsed;
            else errors.Add("status", "'status' must be unconfirmed, confirmed, unsubscribed, bounced or complained.");
        }
        if (errors.Any) return errors.ToProblem();
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return ApiProblem.NotFound($"There is no list '{slug}'.");

        var query = from s in db.Subscriptions
                    join p in db.Subscribers on s.SubscriberId equals p.Id
                    where s.ListId == list.Id
                    select new { s, p };
        if (statusFilter is { } sf) query = query.Where(x => x.s.Status == sf);
        if (!string.IsNullOrWhiteSpace(q))
        {
            var term = q.Trim().ToLowerInvariant();
            query = query.Where(x => x.p.Email.ToLower().Contains(term) || (x.p.Name != null && x.p.Name.ToLower().Contains(term)));
        }
        if (page.After is { } afterId) query = query.Where(x => x.p.Id < afterId);
        var rows = await query.OrderByDescending(x => x.p.Id).Take(page.Limit + 1).AsNoTracking().ToListAsync(cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, r => r.p.Id, r => new ListMember(r.p.Email, r.p.Name,
            SubscriptionService.StatusName(r.s.Status), CadenceNames.Of(r.s.Cadence), r.s.Alerts, r.s.CreatedAt, r.s.UpdatedAt)));
    }

    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> Export(
        string slug, DispatcherDb db, string? status, CancellationToken cancellationToken)
    {
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return ApiProblem.NotFound($"There is no list '{slug}'.");
        SubscriptionStatus? statusFilter = Enum.TryParse<SubscriptionStatus>(status, ignoreCase: true, out var parsed) ? parsed : null;

        return TypedResults.Stream(body => SubscriberExport.WriteAsync(db, list, statusFilter, body, cancellationToken),
            "text/csv; charset=utf-8", $"{slug}.csv");
    }

    private static async Task<Results<Ok<ImportResult>, ValidationProblem, ProblemHttpResult>> Import(
        string slug, HttpRequest request, DispatcherDb db, SubscriberImport import, bool? confirmed, bool? welcome, CancellationToken cancellationToken)
    {
        var type = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (type is not (null or "" or "text/csv" or "text/plain" or "application/csv" or "application/octet-stream" or "application/vnd.ms-excel"))
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the file as the request body with Content-Type: text/csv.");
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return ApiProblem.NotFound($"There is no list '{slug}'.");
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxImportBytes;

        try
        {
            return TypedResults.Ok(await import.ImportAsync(list, request.Body, confirmed ?? true, Caller.From(request.HttpContext.User), cancellationToken,
                welcome ?? false));
        }
        catch (SubscriberImport.BadHeaderException e)
        {
            return Invalid("body", e.Message);
        }
    }

    private static ValidationProblem Invalid(string field, string message)
    {
        var errors = new ValidationErrors();
        errors.Add(field, message);
        return errors.ToProblem();
    }
}

using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Dispatching;

public sealed record DeliveryResponse(long Id, string? Email, string Status, int Attempts, string? Response, DateTime? SentAt, DateTime? RetryAt);

public static class DispatchEndpoints
{
    public static RouteGroupBuilder MapDispatches(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/dispatches").WithTags("Dispatches").RequireAuthorization(Policies.Publisher);
        group.MapGet("/{id:long}", Get);
        group.MapGet("/{id:long}/events", Events);
        group.MapGet("/{id:long}/deliveries", Deliveries).RequireAuthorization(Policies.Admin);
        group.MapGet("/", List);
        group.MapPost("/{id:long}/pause", (long id, DispatchControl control, HttpContext http, CancellationToken ct) =>
            Answer(control.PauseAsync(id, Caller.From(http.User), ct), id, http)).RequireAuthorization(Policies.Organiser)
            .Produces<DispatchResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}/resume", (long id, DispatchControl control, HttpContext http, CancellationToken ct) =>
            Answer(control.ResumeAsync(id, Caller.From(http.User), ct), id, http)).RequireAuthorization(Policies.Organiser)
            .Produces<DispatchResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}/cancel", (long id, DispatchControl control, HttpContext http, CancellationToken ct) =>
            Answer(control.CancelAsync(id, Caller.From(http.User), ct), id, http)).RequireAuthorization(Policies.Organiser)
            .Produces<DispatchResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<Results<Ok<DispatchResponse>, ProblemHttpResult>> Get(
        long id, DispatchAccess access, DispatchProgress progress, HttpContext http, CancellationToken cancellationToken) =>
        await access.MaySeeAsync(id, Caller.From(http.User), cancellationToken) && await progress.GetAsync(id, cancellationToken) is { } dispatch
            ? TypedResults.Ok(dispatch)
            : ApiProblem.NotFound($"There is no dispatch {id}.");

    /// <summary>Live progress as server-sent events: the dispatch once a second, until it is completed or cancelled.</summary>
    private static async Task<Results<ServerSentEventsResult<DispatchResponse>, ProblemHttpResult>> Events(
        long id, DispatchAccess access, DispatchProgress progress, HttpContext http, CancellationToken cancellationToken)
    {
        if (!await access.MaySeeAsync(id, Caller.From(http.User), cancellationToken)) return ApiProblem.NotFound($"There is no dispatch {id}.");
        return progress.LiveEvents(id, cancellationToken);
    }

    /// <summary>A dispatch's deliveries (admin: they hold addresses), by status, with the relay's answer.</summary>
    private static async Task<Results<Ok<Page<DeliveryResponse>>, ValidationProblem, ProblemHttpResult>> Deliveries(
        long id, DispatcherDb db, string? status, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        DeliveryStatus? statusFilter = null;
        if (status is not null)
        {
            if (Enum.TryParse<DeliveryStatus>(status, ignoreCase: true, out var s) && !int.TryParse(status, out _)) statusFilter = s;
            else errors.Add("status", "'status' must be pending, sending, sent, failed, bounced or skipped.");
        }
        if (errors.Any) return errors.ToProblem();
        if (!await db.Dispatches.AnyAsync(d => d.Id == id, cancellationToken)) return ApiProblem.NotFound($"There is no dispatch {id}.");

        var query = from d in db.Deliveries.AsNoTracking()
                    where d.DispatchId == id
                    join p in db.Subscribers on d.SubscriberId equals p.Id into people
                    from p in people.DefaultIfEmpty()
                    select new { d.Id, Email = p == null ? null : p.Email, d.Status, d.Attempts, d.RelayResponse, d.SentAt, d.RetryAt };
        if (statusFilter is { } sf) query = query.Where(d => d.Status == sf);
        if (page.After is { } afterId) query = query.Where(d => d.Id < afterId);
        var rows = await query.OrderByDescending(d => d.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, d => d.Id, d => new DeliveryResponse(
            d.Id, d.Email, d.Status.ToString().ToLowerInvariant(), d.Attempts, d.RelayResponse, d.SentAt, d.RetryAt)));
    }

    private static async Task<Results<Ok<Page<DispatchResponse>>, ValidationProblem>> List(
        DispatcherDb db, DispatchAccess access, DispatchProgress progress, HttpContext http, string? kind, string? status, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        DispatchKind? kindFilter = null;
        DispatchStatus? statusFilter = null;
        if (kind is not null)
        {
            if (Enum.TryParse<DispatchKind>(kind, ignoreCase: true, out var k) && !int.TryParse(kind, out _)) kindFilter = k;
            else errors.Add("kind", "'kind' must be statement, alert, digest or confirmation.");
        }
        if (status is not null)
        {
            if (Enum.TryParse<DispatchStatus>(status, ignoreCase: true, out var s) && !int.TryParse(status, out _)) statusFilter = s;
            else errors.Add("status", "'status' must be queued, sending, paused, cancelled or completed.");
        }
        if (errors.Any) return errors.ToProblem();

        var query = access.VisibleTo(db.Dispatches.AsNoTracking(), Caller.From(http.User));
        if (kindFilter is { } kf) query = query.Where(d => d.Kind == kf);
        if (statusFilter is { } sf) query = query.Where(d => d.Status == sf);
        if (page.After is { } afterId) query = query.Where(d => d.Id < afterId);
        var rows = await query.OrderByDescending(d => d.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        var described = await progress.DescribeAsync(rows, cancellationToken);
        return TypedResults.Ok(page.ToPage(described, d => d.Id, d => d));
    }

    /// <summary>202 with the dispatch as it is now; 404, 403 or 409 problem otherwise.</summary>
    private static async Task<IResult> Answer(Task<(ControlOutcome Outcome, string? Detail)> operation, long id, HttpContext http)
    {
        var (outcome, detail) = await operation;
        return outcome switch
        {
            ControlOutcome.Done => TypedResults.Accepted($"/api/dispatches/{id}",
                await http.RequestServices.GetRequiredService<DispatchProgress>().GetAsync(id, http.RequestAborted)),
            ControlOutcome.NotFound => ApiProblem.NotFound(detail!),
            ControlOutcome.Forbidden => ApiProblem.Forbidden(detail!),
            _ => ApiProblem.Conflict(detail!),
        };
    }
}

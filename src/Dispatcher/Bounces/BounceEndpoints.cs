using Dispatcher.Access;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Dispatcher.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Bounces;

public sealed record BounceRequest(string? Email, string? Kind, string? Reason);

public sealed record BounceResponse(long Id, string? Email, string Kind, string? Reason, string Source, long? DeliveryId, DateTime CreatedAt);

public sealed record KeptMailResponse(long Id, DateTime ReceivedAt, string? From, string? Subject, string Reason, bool Truncated);

public static class BounceEndpoints
{
    public static RouteGroupBuilder MapBounces(this RouteGroupBuilder api)
    {
        var bounces = api.MapGroup("/bounces").WithTags("Bounces").RequireAuthorization(Policies.Admin);
        bounces.MapPost("", Record);
        bounces.MapGet("", List);
        bounces.MapGet("/kept", ListKept);
        bounces.MapGet("/kept/{id:long}", GetKept).Produces<string>(StatusCodes.Status200OK, "message/rfc822").ProducesProblem(StatusCodes.Status404NotFound);
        bounces.MapDelete("/kept/{id:long}", DeleteKept);
        return api;
    }

    /// <summary>For relays that report bounces and complaints by webhook. 202 {matched, status}: an address we do not
    /// know is not an error for the relay to retry.</summary>
    private static async Task<Results<Accepted<BounceResult>, ValidationProblem>> Record(
        BounceRequest request, BounceRecorder recorder, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (!EmailAddress.TryNormalise(request.Email, out var email, out var emailError)) errors.Add("email", emailError);
        BounceKind? kind = request.Kind?.Trim().ToLowerInvariant() switch
        {
            "hard" => BounceKind.Hard,
            "soft" => BounceKind.Soft,
            "complaint" => BounceKind.Complaint,
            _ => null,
        };
        if (kind is null) errors.Add("kind", "'kind' must be \"hard\", \"soft\" or \"complaint\".");
        var reason = errors.Text("reason", request.Reason, 1000);
        if (errors.Any) return errors.ToProblem();

        var result = await recorder.RecordAsync(email!, kind!.Value, reason, "api", null, Caller.From(http.User), cancellationToken);
        return TypedResults.Accepted((string?)null, result);
    }

    /// <summary>Bounces and complaints from every source, newest first.</summary>
    private static async Task<Results<Ok<Page<BounceResponse>>, ValidationProblem>> List(
        DispatcherDb db, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        if (errors.Any) return errors.ToProblem();
        var query = from b in db.Bounces.AsNoTracking()
                    join s in db.Subscribers on b.SubscriberId equals s.Id into people
                    from s in people.DefaultIfEmpty()
                    select new { b.Id, Email = s == null ? null : s.Email, b.Kind, b.Reason, b.Source, b.DeliveryId, b.CreatedAt };
        if (page.After is { } afterId) query = query.Where(b => b.Id < afterId);
        var rows = await query.OrderByDescending(b => b.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, b => b.Id,
            b => new BounceResponse(b.Id, b.Email, b.Kind.ToString().ToLowerInvariant(), b.Reason, b.Source, b.DeliveryId, b.CreatedAt)));
    }

    /// <summary>Mail from the bounce mailbox that could not be used, kept for a person to look at.</summary>
    private static async Task<Results<Ok<Page<KeptMailResponse>>, ValidationProblem>> ListKept(
        DispatcherDb db, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        if (errors.Any) return errors.ToProblem();
        var query = db.KeptMail.AsNoTracking();
        if (page.After is { } afterId) query = query.Where(k => k.Id < afterId);
        var rows = await query.OrderByDescending(k => k.Id).Take(page.Limit + 1)
            .Select(k => new KeptMailResponse(k.Id, k.ReceivedAt, k.From, k.Subject, k.Reason, k.Truncated)).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, k => k.Id, k => k));
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> GetKept(long id, DispatcherDb db, CancellationToken cancellationToken) =>
        await db.KeptMail.AsNoTracking().Where(k => k.Id == id).Select(k => k.Raw).SingleOrDefaultAsync(cancellationToken) is { } raw
            ? TypedResults.File(raw, "message/rfc822", $"kept-{id}.eml")
            : ApiProblem.NotFound("There is no kept message with this id.");

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteKept(long id, DispatcherDb db, HttpContext http, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await db.KeptMail.Where(k => k.Id == id).ExecuteDeleteAsync(cancellationToken) == 0)
            return ApiProblem.NotFound("There is no kept message with this id.");
        db.Audit.Add(Audit.AuditLog.Entry(clock, Caller.From(http.User), "bounce.kept-deleted", $"kept:{id}"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }
}

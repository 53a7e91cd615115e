using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

/// <summary>/api/segments: named audiences, for whoever writes alerts (an audience names attributes, not people, so it
/// is not bound to a list's grant).</summary>
public static class SegmentEndpoints
{
    public static RouteGroupBuilder MapSegments(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/segments").WithTags("Segments").RequireAuthorization(Policies.Organiser);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{slug}", Get);
        group.MapDelete("/{slug}", Delete);
        return api;
    }

    private static async Task<Results<Created<SegmentResponse>, ValidationProblem, ProblemHttpResult>> Create(
        SegmentRequest request, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = request.Validate(out var audience);
        if (errors.Any) return errors.ToProblem();
        var slug = request.Slug!.Trim();
        if (await db.Segments.AnyAsync(s => s.Slug == slug, cancellationToken)) return ApiProblem.Conflict($"There is already a segment '{slug}'.");
        var caller = Caller.From(http.User);
        var segment = new Segment
        {
            Slug = slug, Name = request.Name!.Trim(), AudienceJson = audience.ToJson()!, CreatedBy = caller.Id,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Segments.Add(segment);
        db.Audit.Add(AuditLog.Entry(clock, caller, "segment.created", $"segment:{slug}", audience.ToString()));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Segments.AsNoTracking().AnyAsync(s => s.Slug == slug, CancellationToken.None))
                return ApiProblem.Conflict($"There is already a segment '{slug}'."); // created by someone else meanwhile
            throw;
        }
        return TypedResults.Created($"/api/segments/{slug}", SegmentResponse.From(segment));
    }

    private static async Task<Ok<List<SegmentResponse>>> List(DispatcherDb db, CancellationToken cancellationToken) =>
        TypedResults.Ok((await db.Segments.AsNoTracking().OrderBy(s => s.Name).ToListAsync(cancellationToken)).Select(SegmentResponse.From).ToList());

    private static async Task<Results<Ok<SegmentResponse>, ProblemHttpResult>> Get(string slug, DispatcherDb db, CancellationToken cancellationToken) =>
        await db.Segments.AsNoTracking().SingleOrDefaultAsync(s => s.Slug == slug, cancellationToken) is { } segment
            ? TypedResults.Ok(SegmentResponse.From(segment))
            : ApiProblem.NotFound($"There is no segment '{slug}'.");

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string slug, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var segment = await db.Segments.SingleOrDefaultAsync(s => s.Slug == slug, cancellationToken);
        if (segment is null) return ApiProblem.NotFound($"There is no segment '{slug}'.");
        db.Segments.Remove(segment);
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "segment.deleted", $"segment:{slug}", segment.Audience.ToString()));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }
}

using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Alerts;

public static class AlertEndpoints
{
    public static RouteGroupBuilder MapAlerts(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/alerts").WithTags("Alerts").RequireAuthorization(Policies.Organiser);
        // The handlers answer through AlertResult, so their answers are declared here for the OpenAPI document.
        group.MapPost("/", Create).Produces<AlertResponse>(StatusCodes.Status201Created).ProducesValidationProblem();
        group.MapGet("/", List).Produces<Page<AlertResponse>>().ProducesValidationProblem();
        group.MapGet("/{id:long}", Get).Produces<AlertResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPatch("/{id:long}", Update).Produces<AlertResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/{id:long}", Delete).Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id:long}/audience", Audience).Produces<AlertAudienceResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id:long}/preview", Preview).Produces<AlertPreview>().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/{id:long}/test", Test).Produces(StatusCodes.Status202Accepted).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        group.MapPost("/{id:long}/send", Send).Produces<AlertSendResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:long}/approve", Approve).Produces<AlertSendResponse>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    private static async Task<IResult> Create(AlertRequest request, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.CreateAsync(request, Caller.From(http.User), cancellationToken), async (Alert a) =>
            TypedResults.Created($"/api/alerts/{a.Id}", await ToResponseAsync(a, alerts, http, cancellationToken)));

    private static async Task<IResult> Update(long id, AlertRequest request, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.UpdateAsync(id, request, Caller.From(http.User), cancellationToken), async (Alert a) =>
            TypedResults.Ok(await ToResponseAsync(a, alerts, http, cancellationToken)));

    private static async Task<IResult> Get(long id, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.FindAsync(id, Caller.From(http.User), cancellationToken), async (Alert a) =>
            TypedResults.Ok(await ToResponseAsync(a, alerts, http, cancellationToken)));

    private static async Task<IResult> Delete(long id, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.DeleteAsync(id, Caller.From(http.User), cancellationToken), (bool _) => Task.FromResult<IResult>(TypedResults.NoContent()));

    private static async Task<IResult> Preview(long id, string? language, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.PreviewAsync(id, language, Caller.From(http.User), cancellationToken), (AlertPreview p) => Task.FromResult<IResult>(TypedResults.Ok(p)));

    private static async Task<IResult> Test(long id, TestSendRequest request, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.TestAsync(id, request.Email, Caller.From(http.User), cancellationToken),
            (bool _) => Task.FromResult<IResult>(TypedResults.Accepted((string?)null, new { status = "queued" })));

    private static async Task<IResult> Audience(long id, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.AudienceAsync(id, Caller.From(http.User), cancellationToken),
            (AlertAudienceResponse a) => Task.FromResult<IResult>(TypedResults.Ok(a)));

    private static async Task<IResult> Send(long id, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.SendAsync(id, Caller.From(http.User), cancellationToken), (Func<AlertSendResponse, Task<IResult>>)Accepted);

    private static async Task<IResult> Approve(long id, AlertService alerts, HttpContext http, CancellationToken cancellationToken) =>
        await AnswerAsync(await alerts.ApproveAsync(id, Caller.From(http.User), cancellationToken), (Func<AlertSendResponse, Task<IResult>>)Accepted);

    private static async Task<IResult> List(DispatcherDb db, AlertService alerts, HttpContext http, string? status, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        AlertStatus? statusFilter = null;
        if (status is not null)
        {
            if (Enum.TryParse<AlertStatus>(status, ignoreCase: true, out var parsed) && !int.TryParse(status, out _)) statusFilter = parsed;
            else errors.Add("status", "'status' must be draft, pendingApproval or sent.");
        }
        if (errors.Any) return errors.ToProblem();

        var caller = Caller.From(http.User);
        var query = db.Alerts.AsNoTracking().Include(a => a.Lists).Include(a => a.Translations).AsSplitQuery().AsQueryable();
        if (statusFilter is { } sf) query = query.Where(a => a.Status == sf);
        if (!caller.IsAdmin)
        {
            // Organisers see the alerts whose every list they are granted.
            var granted = caller.GrantedLists.ToList();
            var grantedIds = await db.Lists.Where(l => granted.Contains(l.Slug)).Select(l => l.Id).ToListAsync(cancellationToken);
            query = query.Where(a => a.Lists.All(l => grantedIds.Contains(l.ListId)));
        }
        if (page.After is { } afterId) query = query.Where(a => a.Id < afterId);
        var rows = await query.OrderByDescending(a => a.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        var items = new List<AlertResponse>();
        foreach (var row in rows.Take(page.Limit)) items.Add(await ToResponseAsync(row, alerts, http, cancellationToken));
        return TypedResults.Ok(new Page<AlertResponse>(items, rows.Count > page.Limit ? rows[page.Limit - 1].Id.ToString() : null));
    }

    private static Task<IResult> Accepted(AlertSendResponse response) => Task.FromResult<IResult>(TypedResults.Accepted((string?)null, response));

    private static async Task<IResult> AnswerAsync<T>(AlertResult result, Func<T, Task<IResult>> ok) => result switch
    {
        AlertResult.Ok<T> o => await ok(o.Value),
        AlertResult.Invalid i => i.Errors.ToProblem(),
        AlertResult.NotFound => ApiProblem.NotFound("There is no such alert."),
        AlertResult.Forbidden f => ApiProblem.Forbidden(f.Detail),
        AlertResult.Conflict c => ApiProblem.Conflict(c.Detail),
        AlertResult.Unavailable u => ApiProblem.Unavailable(u.Detail),
        AlertResult.TooMany t => ApiProblem.TooMany(t.Detail),
        _ => throw new InvalidOperationException($"Unexpected result {result}."),
    };

    private static async Task<AlertResponse> ToResponseAsync(Alert a, AlertService alerts, HttpContext http, CancellationToken cancellationToken)
    {
        var db = http.RequestServices.GetRequiredService<DispatcherDb>();
        var ids = a.Lists.Select(l => l.ListId).ToList();
        var lists = await db.Lists.AsNoTracking().Where(l => ids.Contains(l.Id)).Select(l => new { l.Slug, l.RequireApproval }).ToListAsync(cancellationToken);
        return new AlertResponse(a.Id, a.Subject, a.BodyMarkdown, a.ActionUrl, a.ActionLabel, lists.Select(l => l.Slug).Order().ToList(),
            a.Status == AlertStatus.PendingApproval ? "pendingApproval" : a.Status.ToString().ToLowerInvariant(),
            await alerts.RecipientsAsync(a, cancellationToken), a.CreatedBy, a.CreatedAt, a.RequestedBy, a.RequestedAt,
            a.ApprovedBy, a.ApprovedAt, a.DispatchId, lists.Any(l => l.RequireApproval), a.Audience.OrNull,
            a.Language ?? http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<DispatcherOptions>>().Value.LanguageOf(null),
            a.Translations.OrderBy(t => t.Language, StringComparer.Ordinal)
                .Select(t => new AlertTranslationResponse(t.Language, t.Subject, t.BodyMarkdown, t.ActionLabel, t.ActionUrl)).ToList());
    }
}

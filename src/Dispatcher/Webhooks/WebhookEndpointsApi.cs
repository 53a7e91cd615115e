using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Events;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Webhooks;

public sealed record WebhookRequest(string? Url, List<string?>? Events, string? Description)
{
    public ValidationErrors Validate(bool partial, out List<string> events)
    {
        var errors = new ValidationErrors();
        if (!partial || Url is not null) errors.Url("url", Url, required: true);
        errors.Text("description", Description, 500);
        events = [];
        if (partial && Events is null) return errors;
        if (Events is null || Events.Count == 0) errors.Add("events", $"Name at least one event: {string.Join(", ", IntegrationEvents.All)}.");
        else
            for (var i = 0; i < Events.Count; i++)
                if (IntegrationEvents.All.FirstOrDefault(e => e == Events[i]?.Trim()) is { } known) { if (!events.Contains(known)) events.Add(known); }
                else errors.Add($"events[{i}]", $"'{Events[i]}' is not an event: {string.Join(", ", IntegrationEvents.All)}.");
        return errors;
    }
}

/// <summary>The secret is in this answer only: it is not shown again.</summary>
public sealed record WebhookCreated(int Id, string Secret);

public sealed record WebhookResponse(int Id, string Url, IReadOnlyList<string> Events, string? Description, DateTime CreatedAt, string CreatedBy);

public sealed record WebhookDeliveryResponse(long Id, string Type, string Status, int Attempts, DateTime CreatedAt, DateTime? LastAttemptAt,
    int? LastStatusCode, string? LastError, DateTime? DeliveredAt, DateTime? NextAttemptAt);

public sealed record WebhookQueued(long DeliveryId);

/// <summary>/api/webhooks (admins): register endpoints, see each one's recent deliveries, test and re-send.</summary>
public static class WebhookEndpointsApi
{
    public static RouteGroupBuilder MapWebhooks(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/webhooks").WithTags("Webhooks").RequireAuthorization(Policies.Admin);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapGet("/{id:int}", Get);
        group.MapPatch("/{id:int}", Update);
        group.MapDelete("/{id:int}", Delete);
        group.MapPost("/{id:int}/test", Test);
        group.MapGet("/{id:int}/deliveries", Deliveries);
        group.MapPost("/{id:int}/deliveries/{deliveryId:long}/resend", Resend);
        return api;
    }

    private static async Task<Results<Created<WebhookCreated>, ValidationProblem>> Create(WebhookRequest request, WebhookRegistry registry,
        HttpContext http, CancellationToken cancellationToken)
    {
        var (endpoint, secret, errors) = await registry.CreateAsync(request, Caller.From(http.User), cancellationToken);
        return endpoint is null ? errors.ToProblem() : TypedResults.Created($"/api/webhooks/{endpoint.Id}", new WebhookCreated(endpoint.Id, secret!));
    }

    private static async Task<Ok<Page<WebhookResponse>>> List(DispatcherDb db, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<WebhookResponse>((await db.WebhookEndpoints.AsNoTracking().OrderBy(e => e.Id).ToListAsync(cancellationToken))
            .Select(ToResponse).ToList(), null));

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> Get(int id, DispatcherDb db, CancellationToken cancellationToken) =>
        await db.WebhookEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Id == id, cancellationToken) is { } endpoint
            ? TypedResults.Ok(ToResponse(endpoint))
            : ApiProblem.NotFound($"There is no webhook {id}.");

    private static async Task<Results<Ok<WebhookResponse>, ValidationProblem, ProblemHttpResult>> Update(int id, WebhookRequest request, DispatcherDb db,
        TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var endpoint = await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (endpoint is null) return ApiProblem.NotFound($"There is no webhook {id}.");
        var errors = request.Validate(partial: true, out var events);
        if (errors.Any) return errors.ToProblem();
        if (request.Url is not null) endpoint.Url = request.Url.Trim();
        if (request.Events is not null) endpoint.EventTypes = string.Join(',', events);
        if (request.Description is not null) endpoint.Description = request.Description.Trim() is { Length: > 0 } d ? d : null;
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "webhook.updated", $"webhook:{id}", $"{endpoint.Url}: {endpoint.EventTypes}"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(ToResponse(endpoint));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(int id, DispatcherDb db, TimeProvider clock, HttpContext http,
        CancellationToken cancellationToken)
    {
        var endpoint = await db.WebhookEndpoints.SingleOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (endpoint is null) return ApiProblem.NotFound($"There is no webhook {id}.");
        db.WebhookEndpoints.Remove(endpoint);
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "webhook.deleted", $"webhook:{id}", endpoint.Url));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>A "webhook.test" message to this endpoint, due now: 202 {deliveryId}; its outcome is in /deliveries.</summary>
    private static async Task<Results<Accepted<WebhookQueued>, ProblemHttpResult>> Test(int id, DispatcherDb db, WebhookSender sender, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!await db.WebhookEndpoints.AnyAsync(e => e.Id == id, cancellationToken)) return ApiProblem.NotFound($"There is no webhook {id}.");
        var delivery = sender.NewDelivery(id, null, "webhook.test",
            WebhookSender.BodyOf("webhook.test", clock.GetUtcNow().UtcDateTime, """{"message":"A test from Dispatcher."}"""));
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Accepted($"/api/webhooks/{id}/deliveries", new WebhookQueued(delivery.Id));
    }

    private static async Task<Results<Ok<Page<WebhookDeliveryResponse>>, ValidationProblem, ProblemHttpResult>> Deliveries(int id, DispatcherDb db,
        WebhookRegistry registry, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        if (errors.Any) return errors.ToProblem();
        if (!await db.WebhookEndpoints.AnyAsync(e => e.Id == id, cancellationToken)) return ApiProblem.NotFound($"There is no webhook {id}.");
        var query = registry.DeliveriesOf(id);
        if (page.After is { } before) query = query.Where(d => d.Id < before);
        var rows = await query.Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, d => d.Id, d => new WebhookDeliveryResponse(d.Id, d.Type, d.Status.ToString().ToLowerInvariant(),
            d.Attempts, d.CreatedAt, d.LastAttemptAt, d.LastStatusCode, d.LastError, d.DeliveredAt,
            d.Status == WebhookDeliveryStatus.Pending ? d.NextAttemptAt : null)));
    }

    private static async Task<Results<Accepted<WebhookQueued>, ProblemHttpResult>> Resend(int id, long deliveryId, WebhookRegistry registry,
        HttpContext http, CancellationToken cancellationToken) =>
        await registry.ResendAsync(id, deliveryId, Caller.From(http.User), cancellationToken)
            ? TypedResults.Accepted($"/api/webhooks/{id}/deliveries", new WebhookQueued(deliveryId))
            : ApiProblem.NotFound($"Webhook {id} has no delivery {deliveryId}.");

    private static WebhookResponse ToResponse(WebhookEndpoint e) => new(e.Id, e.Url, e.Events, e.Description, e.CreatedAt, e.CreatedBy);
}

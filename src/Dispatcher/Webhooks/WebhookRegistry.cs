using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Webhooks;

/// <summary>Registering endpoints and re-sending deliveries: what the API and the admin page both do.</summary>
public sealed class WebhookRegistry(DispatcherDb db, IDataProtectionProvider protection, TimeProvider clock)
{
    /// <summary>A new endpoint and its secret (returned this once), or what is wrong with the request.</summary>
    public async Task<(WebhookEndpoint? Endpoint, string? Secret, ValidationErrors Errors)> CreateAsync(WebhookRequest request, Caller caller,
        CancellationToken cancellationToken)
    {
        var errors = request.Validate(partial: false, out var events);
        if (errors.Any) return (null, null, errors);
        var secret = WebhookSignature.NewSecret();
        var endpoint = new WebhookEndpoint
        {
            Url = request.Url!.Trim(),
            EventTypes = string.Join(',', events),
            Description = string.IsNullOrWhiteSpace(request.Description) ? null : request.Description.Trim(),
            ProtectedSecret = protection.CreateProtector(WebhookSender.ProtectorPurpose).Protect(secret),
            CreatedBy = caller.Id,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.WebhookEndpoints.Add(endpoint);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit.Add(AuditLog.Entry(clock, caller, "webhook.created", $"webhook:{endpoint.Id}", $"{endpoint.Url}: {endpoint.EventTypes}"));
        await db.SaveChangesAsync(cancellationToken);
        return (endpoint, secret, errors);
    }

    /// <summary>Tries a delivery again now, with a fresh retry window (also one that failed or was delivered); false when
    /// the endpoint has no such delivery.</summary>
    public async Task<bool> ResendAsync(int endpointId, long deliveryId, Caller caller, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var changed = await db.WebhookDeliveries.Where(d => d.Id == deliveryId && d.EndpointId == endpointId).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, WebhookDeliveryStatus.Pending)
            .SetProperty(d => d.NextAttemptAt, now)
            .SetProperty(d => d.CreatedAt, now), cancellationToken);
        if (changed == 0) return false;
        db.Audit.Add(AuditLog.Entry(clock, caller, "webhook.resent", $"webhook:{endpointId}", $"delivery {deliveryId}"));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>An endpoint's deliveries, newest first.</summary>
    public IQueryable<WebhookDelivery> DeliveriesOf(int endpointId) =>
        db.WebhookDeliveries.AsNoTracking().Where(d => d.EndpointId == endpointId).OrderByDescending(d => d.Id);
}

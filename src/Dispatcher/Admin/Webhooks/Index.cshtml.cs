using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Webhooks;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Webhooks;

/// <summary>Webhook endpoints: add one (its secret shown once), see each one's recent deliveries, re-send one.</summary>
[Authorize(Policy = Policies.Admin)]
public sealed class WebhooksModel(DispatcherDb db, WebhookRegistry registry) : AdminPage
{
    public const int Recent = 10;

    public List<(WebhookEndpoint Endpoint, List<WebhookDelivery> Deliveries)> Endpoints { get; private set; } = [];
    public string? NewSecret { get; private set; }
    public List<string> Errors { get; private set; } = [];

    public Task OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(string? url, List<string?>? events, string? description, CancellationToken cancellationToken)
    {
        var (endpoint, secret, errors) = await registry.CreateAsync(new WebhookRequest(url, events, description), Caller, cancellationToken);
        await LoadAsync(cancellationToken);
        if (endpoint is null)
        {
            Errors = errors.ToDictionary().SelectMany(e => e.Value).ToList();
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }
        NewSecret = secret;
        return Page();
    }

    public async Task<IActionResult> OnPostResendAsync(int endpointId, long deliveryId, CancellationToken cancellationToken) =>
        await registry.ResendAsync(endpointId, deliveryId, Caller, cancellationToken)
            ? Done($"Delivery {deliveryId} goes again now.")
            : NotFound();

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Endpoints = [];
        foreach (var endpoint in await db.WebhookEndpoints.AsNoTracking().OrderBy(e => e.Id).ToListAsync(cancellationToken))
            Endpoints.Add((endpoint, await registry.DeliveriesOf(endpoint.Id).Take(Recent).ToListAsync(cancellationToken)));
    }
}

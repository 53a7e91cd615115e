using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Dispatcher.Data;
using Dispatcher.Events;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Webhooks;

/// <summary>Tells the endpoints, on every worker: fans each new event out to the endpoints that want its type (one
/// delivery each, in the transaction that marks the event done, so every worker may try and each event is fanned out
/// once), then posts each endpoint's oldest pending delivery when it is due — in order per endpoint, endpoints in
/// parallel — and reschedules a failure with back-off until Webhooks:RetryFor. Retries live in the database, not in
/// memory: they outlast restarts and deploys, and any worker carries them on. Nothing here is on the email send path:
/// an endpoint that never answers only waits for itself.</summary>
public sealed class WebhookSender(
    IServiceScopeFactory scopes,
    IHttpClientFactory http,
    IDataProtectionProvider protection,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<WebhookSender> logger) : BackgroundService
{
    public const string ClientName = "webhooks";
    public const string ProtectorPurpose = "Dispatcher.Webhooks.Secret";

    private static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);

    private readonly IDataProtector _secrets = protection.CreateProtector(ProtectorPurpose);
    private long _prunedAt; // Stopwatch timestamp; 0: not yet in this process

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);

        using var timer = new PeriodicTimer(options.Value.CheckInterval, clock);
        do
        {
            try
            {
                await FanOutAsync(stoppingToken);
                await SendDueAsync(stoppingToken);
                if (_prunedAt == 0 || Stopwatch.GetElapsedTime(_prunedAt) >= PruneEvery)
                {
                    await PruneAsync(clock.GetUtcNow().UtcDateTime - options.Value.KeepFor, stoppingToken);
                    _prunedAt = Stopwatch.GetTimestamp();
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Webhooks could not be sent just now; trying again shortly");
            }
        } while (await timer.NextTickAsync(stoppingToken));
    }

    private async Task FanOutAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var events = await NewEventsAsync(db, cancellationToken);
        if (events.Count == 0) return;
        var endpoints = await EndpointsAsync(db, cancellationToken);
        if (endpoints.Count == 0)
        {
            // Nobody to tell (an endpoint hears of what happens after it is added): done with them in one statement.
            await TakeEventsUpToAsync(db, events[^1].Id, cancellationToken);
            return;
        }
        foreach (var happened in events)
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await TakeEventAsync(db, happened.Id, cancellationToken) == 0) continue; // another worker took it
            var body = BodyOf(happened.Type, happened.CreatedAt, happened.DataJson);
            foreach (var endpoint in endpoints.Where(e => e.Events.Contains(happened.Type)))
                db.WebhookDeliveries.Add(NewDelivery(endpoint.Id, happened.Id, happened.Type, body));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    private static Task<List<IntegrationEvent>> NewEventsAsync(DispatcherDb db, CancellationToken cancellationToken) =>
        db.IntegrationEvents.AsNoTracking().Where(e => !e.FannedOut).OrderBy(e => e.Id).Take(200).ToListAsync(cancellationToken);

    private static Task<List<WebhookEndpoint>> EndpointsAsync(DispatcherDb db, CancellationToken cancellationToken) =>
        db.WebhookEndpoints.AsNoTracking().ToListAsync(cancellationToken);

    private static Task<int> TakeEventAsync(DispatcherDb db, long id, CancellationToken cancellationToken) =>
        db.IntegrationEvents.Where(e => e.Id == id && !e.FannedOut).ExecuteUpdateAsync(s => s.SetProperty(e => e.FannedOut, true), cancellationToken);

    private static Task<int> TakeEventsUpToAsync(DispatcherDb db, long lastId, CancellationToken cancellationToken) =>
        db.IntegrationEvents.Where(e => e.Id <= lastId && !e.FannedOut).ExecuteUpdateAsync(s => s.SetProperty(e => e.FannedOut, true), cancellationToken);

    /// <summary>Each endpoint's oldest pending delivery, when it is due: an endpoint gets its events in order.</summary>
    private static Task<List<long>> DueAsync(DispatcherDb db, DateTime now, CancellationToken cancellationToken)
    {
        var heads = db.WebhookDeliveries.Where(d => d.Status == WebhookDeliveryStatus.Pending).GroupBy(d => d.EndpointId).Select(g => g.Min(d => d.Id));
        return db.WebhookDeliveries.Where(d => heads.Contains(d.Id) && d.NextAttemptAt <= now).Select(d => d.Id).ToListAsync(cancellationToken);
    }

    private static Task<WebhookDelivery?> DeliveryAsync(DispatcherDb db, long id, CancellationToken cancellationToken) =>
        db.WebhookDeliveries.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id, cancellationToken);

    /// <summary>Deletes what was told (or given up) before <paramref name="before"/>, and the events it was made from:
    /// bodies name people (a confirmation's address) and say what they did, which a copy of the database must not keep
    /// for good; and the eraser's search of them stays short. Nothing still to be told is touched.</summary>
    private async Task PruneAsync(DateTime before, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        await db.WebhookDeliveries.Where(d => d.Status != WebhookDeliveryStatus.Pending && d.LastAttemptAt < before).ExecuteDeleteAsync(cancellationToken);
        await db.IntegrationEvents.Where(e => e.FannedOut && e.CreatedAt < before).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>The queries of a round with nothing to do, so the first event after a start (an alert's) does not
    /// compile them beside the alert's messages (see Dispatching.SendPathWarmUp). Changes nothing.</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        await NewEventsAsync(db, cancellationToken);
        await EndpointsAsync(db, cancellationToken);
        await TakeEventAsync(db, 0, cancellationToken);
        await TakeEventsUpToAsync(db, 0, cancellationToken);
        await DueAsync(db, DateTime.MinValue, cancellationToken);
        await DeliveryAsync(db, 0, cancellationToken);
        await PruneAsync(DateTime.MinValue, cancellationToken);
    }

    /// <summary>A delivery due now (also a test message or a re-send).</summary>
    internal WebhookDelivery NewDelivery(int endpointId, long? eventId, string type, string body)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new WebhookDelivery { EndpointId = endpointId, EventId = eventId, Type = type, Body = body, NextAttemptAt = now, CreatedAt = now };
    }

    /// <summary>The body every endpoint gets: <c>{"type", "timestamp", "data"}</c>.</summary>
    internal static string BodyOf(string type, DateTime at, string dataJson) => new JsonObject
    {
        ["type"] = type,
        ["timestamp"] = DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("O"),
        ["data"] = JsonNode.Parse(dataJson),
    }.ToJsonString();

    private async Task SendDueAsync(CancellationToken cancellationToken)
    {
        List<long> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            due = await DueAsync(db, clock.GetUtcNow().UtcDateTime, cancellationToken);
        }
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Value.Concurrency, CancellationToken = cancellationToken },
            async (id, ct) => await AttemptAsync(id, ct));
    }

    private async Task AttemptAsync(long id, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var settings = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var delivery = await DeliveryAsync(db, id, cancellationToken);
        if (delivery is not { Status: WebhookDeliveryStatus.Pending } || delivery.NextAttemptAt > now) return;
        // The lease: whoever moves NextAttemptAt on first makes this attempt.
        var lease = now + TimeSpan.FromSeconds(settings.TimeoutSeconds * 3);
        if (await db.WebhookDeliveries.Where(d => d.Id == id && d.NextAttemptAt == delivery.NextAttemptAt && d.Status == WebhookDeliveryStatus.Pending)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, lease), cancellationToken) == 0)
            return;
        var endpoint = await db.WebhookEndpoints.AsNoTracking().SingleOrDefaultAsync(e => e.Id == delivery.EndpointId, cancellationToken);
        if (endpoint is null) return; // deleted meanwhile: its deliveries went with it

        var (status, error) = await PostAsync(endpoint, delivery, cancellationToken);
        var done = clock.GetUtcNow().UtcDateTime;
        var delivered = status is >= 200 and < 300;
        var attempts = delivery.Attempts + 1;
        var next = done + Delay(attempts, settings);
        var final = delivered ? WebhookDeliveryStatus.Delivered
            : next - delivery.CreatedAt > settings.RetryFor ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending;
        await db.WebhookDeliveries.Where(d => d.Id == id).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, final)
            .SetProperty(d => d.Attempts, attempts)
            .SetProperty(d => d.LastAttemptAt, done)
            .SetProperty(d => d.LastStatusCode, status)
            .SetProperty(d => d.LastError, error)
            .SetProperty(d => d.DeliveredAt, delivered ? done : null)
            .SetProperty(d => d.NextAttemptAt, next), CancellationToken.None);
        if (!delivered)
            logger.LogInformation("Webhook {DeliveryId} ({Type}) to endpoint {EndpointId}: {Outcome}; {Next}", id, delivery.Type, endpoint.Id,
                error ?? $"HTTP {status}", final == WebhookDeliveryStatus.Failed ? "given up" : $"again at {next:u}");
    }

    private async Task<(int? Status, string? Error)> PostAsync(WebhookEndpoint endpoint, WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url)
        {
            Content = new StringContent(delivery.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("webhook-id", delivery.MessageId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSignature.Sign(_secrets.Unprotect(endpoint.ProtectedSecret), delivery.MessageId, timestamp, delivery.Body));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
        try
        {
            using var response = await http.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return ((int)response.StatusCode, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {options.Value.TimeoutSeconds} s");
        }
        catch (HttpRequestException e)
        {
            return (null, Hosting.PublicNetworks.Describe(e)); // the reason, never the words of whatever answered
        }
    }

    /// <summary>5 s, 10 s, 20 s, … (±20 %), at most Webhooks:MaxRetryDelay.</summary>
    internal static TimeSpan Delay(int attempts, WebhookOptions settings)
    {
        var exponential = settings.FirstRetryDelay.TotalSeconds * Math.Pow(2, Math.Min(attempts - 1, 20));
        var capped = Math.Min(exponential, settings.MaxRetryDelay.TotalSeconds);
        return TimeSpan.FromSeconds(capped * (0.8 + Random.Shared.NextDouble() * 0.4));
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Data;
using Dispatcher.Events;
using Dispatcher.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Webhooks;

/// <summary>Webhooks to a real HTTP listener: signed as Standard Webhooks says (checked here with the secret, by code of
/// the test's own), retried until answered with 2xx, and never in the way of sending.</summary>
public sealed class WebhookTests
{
    private sealed record Received(string Id, string Timestamp, string Signature, string Body);

    private static readonly Dictionary<string, string?> Fast = new()
    {
        ["Webhooks:AllowPrivateNetworks"] = "true", // the listener is on loopback
        ["Webhooks:CheckInterval"] = "00:00:00.100",
        ["Webhooks:FirstRetryDelay"] = "00:00:00.200",
        ["Webhooks:TimeoutSeconds"] = "1",
    };

    /// <summary>What a receiver does: HMAC-SHA256 keyed with the secret's bytes over "{id}.{timestamp}.{body}".</summary>
    private static bool Verifies(string secret, Received r)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{r.Id}.{r.Timestamp}.{r.Body}")));
        return r.Signature.Split(' ').Contains(expected);
    }

    [Theory]
    [BothStacks]
    public async Task A_signed_event_is_retried_after_two_500s_until_the_endpoint_answers_200(Stack stack)
    {
        var received = new ConcurrentQueue<Received>();
        await using var listener = await TestWebServer.StartAsync(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            received.Enqueue(new Received(http.Request.Headers["webhook-id"]!, http.Request.Headers["webhook-timestamp"]!,
                http.Request.Headers["webhook-signature"]!, await reader.ReadToEndAsync()));
            http.Response.StatusCode = received.Count <= 2 ? StatusCodes.Status500InternalServerError : StatusCodes.Status200OK;
        });
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp, Fast);
        var created = await app.Api.PostOkAsync("/api/webhooks", new { url = listener.Url("/hooks"), events = new[] { "alert.sent" }, description = "our CRM" },
            HttpStatusCode.Created);
        var secret = created["secret"]!.GetValue<string>();
        var id = created["id"]!.GetValue<int>();
        Assert.StartsWith("whsec_", secret);
        Assert.Null((await app.Api.GetJsonAsync($"/api/webhooks/{id}"))["secret"]); // shown once

        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        await app.Api.PostOkAsync("/api/lists/solidarity/subscribers", new { email = "minji@example.org", confirmed = true }, HttpStatusCode.Created);
        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Vigil tonight", bodyMarkdown = "At 19:00.", lists = new[] { "solidarity" } },
            HttpStatusCode.Created);
        var sent = await app.Api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted);

        await Eventually.UntilAsync(() => received.Count >= 3, TimeSpan.FromSeconds(30), "three attempts");
        var attempts = received.ToList();
        Assert.All(attempts, a => Assert.True(Verifies(secret, a), $"signature {a.Signature} does not verify"));
        Assert.Single(attempts.Select(a => a.Id).Distinct()); // the same message each time: the receiver can de-duplicate
        var body = JsonNode.Parse(attempts[^1].Body)!;
        Assert.Equal("alert.sent", body["type"]!.GetValue<string>());
        Assert.Equal(sent["dispatchId"]!.GetValue<long>(), body["data"]!["dispatchId"]!.GetValue<long>());
        Assert.Equal("Vigil tonight", body["data"]!["subject"]!.GetValue<string>());

        var delivery = await Eventually.UntilAsync(async () => (await app.Api.GetJsonAsync($"/api/webhooks/{id}/deliveries"))["items"]![0]!,
            d => d["status"]!.GetValue<string>() == "delivered", TimeSpan.FromSeconds(10), "the delivery marked delivered");
        Assert.Equal((3, 200), (delivery.Int("attempts"), delivery.Int("lastStatusCode")));
        Assert.Equal(3, received.Count); // nothing after the 200, and no other event: only alert.sent was asked for
    }

    [Fact]
    public async Task A_confirmed_then_erased_subscriber_is_told_in_order_and_the_erasure_names_nobody()
    {
        var received = new ConcurrentQueue<string>();
        await using var listener = await TestWebServer.StartAsync(async http =>
        {
            using var reader = new StreamReader(http.Request.Body);
            received.Enqueue(await reader.ReadToEndAsync());
        });
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, Fast);
        await app.Api.PostOkAsync("/api/webhooks", new { url = listener.Url("/"), events = new[] { "subscriber.confirmed", "subscriber.erased" } },
            HttpStatusCode.Created);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        await app.Api.PostOkAsync("/api/lists/solidarity/subscribers", new { email = "ana@example.org", confirmed = true }, HttpStatusCode.Created);
        await Eventually.UntilAsync(() => received.Count >= 1, TimeSpan.FromSeconds(30), "subscriber.confirmed");
        using (var erase = await app.Api.DeleteAsync("/api/subscribers/ana@example.org")) Assert.True(erase.IsSuccessStatusCode);

        await Eventually.UntilAsync(() => received.Count >= 2, TimeSpan.FromSeconds(30), "subscriber.erased");
        var (confirmed, erased) = (JsonNode.Parse(received.First())!, JsonNode.Parse(received.Last())!);
        Assert.Equal("subscriber.confirmed", confirmed["type"]!.GetValue<string>());
        Assert.Equal("subscriber.erased", erased["type"]!.GetValue<string>());
        Assert.Equal(confirmed["data"]!["subscriberId"]!.GetValue<long>(), erased["data"]!["subscriberId"]!.GetValue<long>());
        Assert.False(string.IsNullOrEmpty(erased["data"]!["suppressionHash"]!.GetValue<string>()));
        Assert.DoesNotContain("ana@example.org", received.Last());
    }

    [Fact]
    public async Task An_endpoint_that_never_answers_does_not_hold_up_a_5000_person_dispatch()
    {
        await using var hanging = await TestWebServer.StartAsync(http => Task.Delay(Timeout.Infinite, http.RequestAborted));
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, Fast);
        var created = await app.Api.PostOkAsync("/api/webhooks", new { url = hanging.Url("/"), events = new[] { "dispatch.started", "dispatch.completed" } },
            HttpStatusCode.Created);
        var id = created["id"]!.GetValue<int>();
        await app.Api.CreateListWithReadersAsync("statements", 5000);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(5000, dispatch.Int("sent"));

        // Meanwhile the endpoint was tried and is still owed both events, in order.
        var deliveries = await Eventually.UntilAsync(async () => (await app.Api.GetJsonAsync($"/api/webhooks/{id}/deliveries"))["items"]!.AsArray(),
            d => d.Count == 2 && d.Any(x => x!.Int("attempts") >= 1), TimeSpan.FromSeconds(30), "both events owed, the first tried");
        Assert.All(deliveries, d => Assert.Equal("pending", d!["status"]!.GetValue<string>()));
        Assert.Equal(["dispatch.completed", "dispatch.started"], deliveries.Select(d => d!["type"]!.GetValue<string>())); // newest first
        Assert.Equal(0, deliveries[0]!.Int("attempts")); // the later one waits for the earlier: one endpoint gets its events in order
        Assert.Contains("no answer", deliveries[1]!["lastError"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bad_registrations_are_refused_naming_the_field_and_private_addresses_are_refused_by_default()
    {
        await using var listener = await TestWebServer.StartAsync(http => Task.CompletedTask);
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        var problem = await app.Api.PostOkAsync("/api/webhooks", new { url = "ftp://example.org", events = new[] { "alert.sent", "alert.exploded" } },
            HttpStatusCode.BadRequest);
        var fields = problem["errors"]!.AsObject().Select(e => e.Key).ToList();
        Assert.Contains("url", fields);
        Assert.Contains("events[1]", fields);

        // Without Webhooks:AllowPrivateNetworks a loopback endpoint is never reached: the attempt says why.
        var created = await app.Api.PostOkAsync("/api/webhooks", new { url = listener.Url("/"), events = new[] { "alert.sent" } }, HttpStatusCode.Created);
        var id = created["id"]!.GetValue<int>();
        await app.Api.PostOkAsync($"/api/webhooks/{id}/test", new { }, HttpStatusCode.Accepted);
        var delivery = await Eventually.UntilAsync(async () => (await app.Api.GetJsonAsync($"/api/webhooks/{id}/deliveries"))["items"]![0]!,
            d => d.Int("attempts") >= 1, TimeSpan.FromSeconds(30), "the test message tried");
        Assert.Contains("local or private network", delivery["lastError"]!.GetValue<string>());
        Assert.Equal(0, listener.Requests);
    }
    /// <summary>What was told is kept Webhooks:KeepFor (30 days) after its last attempt, then deleted with its event; what
    /// is still owed is kept however old. A worker prunes when it starts and every ten minutes after.</summary>
    [Fact]
    public async Task Deliveries_and_events_told_more_than_KeepFor_ago_are_deleted_and_what_is_owed_is_kept()
    {
        await using var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp: null, new Dictionary<string, string?>(Fast)
        {
            ["Dispatcher:Role"] = "Web", // no sender: nothing is pruned until the worker below starts
        });
        var endpoint = (await web.Api.PostOkAsync("/api/webhooks", new { url = "http://127.0.0.1:9/hook", events = new[] { "dispatch.completed" } },
            HttpStatusCode.Created))["id"]!.GetValue<int>();
        var now = DateTime.UtcNow;
        var longAgo = now - TimeSpan.FromDays(31);
        await using (var scope = web.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            db.IntegrationEvents.AddRange(
                new IntegrationEvent { Type = "dispatch.completed", DataJson = """{"dispatchId":1}""", CreatedAt = longAgo, FannedOut = true },
                new IntegrationEvent { Type = "dispatch.completed", DataJson = """{"dispatchId":2}""", CreatedAt = now - TimeSpan.FromDays(29), FannedOut = true });
            db.WebhookDeliveries.AddRange(
                Told("delivered long ago", WebhookDeliveryStatus.Delivered, longAgo),
                Told("given up long ago", WebhookDeliveryStatus.Failed, longAgo),
                Told("delivered lately", WebhookDeliveryStatus.Delivered, now - TimeSpan.FromDays(29)),
                Told("owed since long ago", WebhookDeliveryStatus.Pending, longAgo, next: now.AddDays(1)));
            await db.SaveChangesAsync();
        }

        await using var worker = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp: null, new Dictionary<string, string?>(web.Settings)
        {
            ["Dispatcher:Role"] = "Worker",
        });

        await using var check = web.Services.CreateAsyncScope();
        var rows = check.ServiceProvider.GetRequiredService<DispatcherDb>();
        var kept = await Eventually.UntilAsync(() => rows.WebhookDeliveries.AsNoTracking().OrderBy(d => d.Id).Select(d => d.Body).ToListAsync(),
            bodies => bodies.Count < 4, TimeSpan.FromSeconds(30), "the worker to prune");
        Assert.Equal(["delivered lately", "owed since long ago"], kept);
        Assert.Equal(["""{"dispatchId":2}"""], await rows.IntegrationEvents.AsNoTracking().Select(e => e.DataJson).ToListAsync());

        WebhookDelivery Told(string body, WebhookDeliveryStatus status, DateTime at, DateTime? next = null) => new()
        {
            EndpointId = endpoint, Type = "dispatch.completed", Body = body, Status = status, Attempts = 1,
            CreatedAt = at, LastAttemptAt = at, NextAttemptAt = next ?? at, DeliveredAt = status == WebhookDeliveryStatus.Delivered ? at : null,
        };
    }
}

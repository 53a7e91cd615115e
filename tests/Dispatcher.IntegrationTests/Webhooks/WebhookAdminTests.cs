using System.Net;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace Dispatcher.IntegrationTests.Webhooks;

/// <summary>The admin UI's webhooks page in Chromium: an endpoint is added (its secret shown once), its deliveries are
/// listed with their status, and a failed one is sent again.</summary>
public sealed class WebhookAdminTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task An_admin_adds_an_endpoint_sees_a_failed_delivery_and_sends_it_again()
    {
        var answer = StatusCodes.Status500InternalServerError;
        await using var listener = await TestWebServer.StartAsync(http =>
        {
            http.Response.StatusCode = Volatile.Read(ref answer);
            return Task.CompletedTask;
        });
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatcher:Bootstrap:AdminEmail"] = "admin@example.org",
            ["Dispatcher:Bootstrap:AdminPassword"] = "a long admin password 1",
            ["Webhooks:AllowPrivateNetworks"] = "true",
            ["Webhooks:CheckInterval"] = "00:00:00.100",
            ["Webhooks:FirstRetryDelay"] = "00:00:00.100",
            ["Webhooks:RetryFor"] = "00:00:00.500", // one or two tries, then failed
        }, kestrel: true);
        var page = await chromium.NewPageAsync(app.ServerAddress!);
        await page.GotoAsync("/admin/login");
        await page.GetByLabel("Email").FillAsync("admin@example.org");
        await page.GetByLabel("Password").FillAsync("a long admin password 1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();

        await page.GotoAsync("/admin/webhooks");
        await page.GetByLabel("URL").FillAsync(listener.Url("/hooks"));
        await page.GetByLabel("alert.sent").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add endpoint" }).ClickAsync();
        await Assertions.Expect(page.Locator(".secret")).ToContainTextAsync("whsec_");

        var id = (await app.Api.GetJsonAsync("/api/webhooks"))["items"]![0]!.Int("id");
        await app.Api.PostOkAsync($"/api/webhooks/{id}/test", new { }, HttpStatusCode.Accepted);
        await Eventually.UntilAsync(async () => (await app.Api.GetJsonAsync($"/api/webhooks/{id}/deliveries"))["items"]![0]!["status"]!.GetValue<string>(),
            s => s == "failed", TimeSpan.FromSeconds(30), "the test message to fail");

        Volatile.Write(ref answer, StatusCodes.Status200OK);
        await page.GotoAsync("/admin/webhooks");
        await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "HTTP 500" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Re-send" }).ClickAsync();
        await Assertions.Expect(page.GetByText("goes again now")).ToBeVisibleAsync();
        await Eventually.UntilAsync(async () => (await app.Api.GetJsonAsync($"/api/webhooks/{id}/deliveries"))["items"]![0]!["status"]!.GetValue<string>(),
            s => s == "delivered", TimeSpan.FromSeconds(30), "the re-sent message delivered");
        await page.GotoAsync("/admin/webhooks");
        await Assertions.Expect(page.GetByText("delivered", new() { Exact = true })).ToBeVisibleAsync();
    }
}

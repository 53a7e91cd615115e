using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.Playwright;

namespace Dispatcher.IntegrationTests.Subscribers;

/// <summary>A person signs up, confirms and manages their preferences in a real browser (Debian's Chromium),
/// reading their email from a real SMTP server.</summary>
public sealed class SubscriberBrowserTests(Chromium chromium) : IClassFixture<Chromium>
{
    [Fact]
    public async Task Sign_up_confirm_then_switch_to_weekly_and_leave_one_list()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, kestrel: true);
        await app.Api.PostOkAsync("/api/lists", new { name = "Statements", slug = "statements", description = "Statements of the network." }, System.Net.HttpStatusCode.Created);
        await app.Api.PostOkAsync("/api/lists", new { name = "Korea solidarity", slug = "korea" }, System.Net.HttpStatusCode.Created);
        var page = await chromium.NewPageAsync(app.ServerAddress!);

        await page.GotoAsync("/subscribe/statements");
        await Chromium.ScreenshotAsync(page, "subscribe-form");
        await page.GetByLabel("Email address").FillAsync("ana.souza@example.org");
        await page.GetByLabel("Name").FillAsync("Ana Souza");
        await page.GetByLabel("Each one as it is published").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Subscribe" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Check your inbox" })).ToBeVisibleAsync();

        var confirmation = await Eventually.UntilAsync(() => Task.FromResult(smtp.To("ana.souza@example.org").FirstOrDefault()),
            m => m is not null, TimeSpan.FromSeconds(30), "the confirmation email");
        await page.GotoAsync(Pages.LinkIn(confirmation!.Message, "/confirm/"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, subscribe me" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "You are subscribed to Statements" })).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(page, "confirmed");

        // On a second list too (added by an admin), then a statement arrives with a preferences link.
        await app.Api.SubscribeAsync("korea", "ana.souza@example.org");
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements", "korea" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        var statement = smtp.To("ana.souza@example.org").Single(m => m.Subject.StartsWith("Stop the repression"));

        await page.GotoAsync(Pages.LinkIn(statement.Message, "/preferences/"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your email preferences" })).ToBeVisibleAsync();
        var statements = page.Locator("fieldset", new() { Has = page.GetByText("Statements", new() { Exact = true }) });
        await statements.GetByLabel("Weekly digest").CheckAsync();
        var korea = page.Locator("fieldset", new() { Has = page.GetByText("Korea solidarity", new() { Exact = true }) });
        await korea.GetByLabel("Subscribed").UncheckAsync();
        await page.GetByLabel("Language of our emails").SelectOptionAsync("ko");
        await page.GetByLabel("Time zone (digests arrive in your morning)").SelectOptionAsync("Asia/Seoul");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save my choices" }).ClickAsync();
        await Assertions.Expect(page.GetByText("선택이 저장되었습니다.")).ToBeVisibleAsync(); // "Your choices are saved.", in her new language
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ko");
        await Chromium.ScreenshotAsync(page, "preferences");

        var person = await app.Api.GetJsonAsync("/api/subscribers/ana.souza@example.org");
        var subscriptions = person["subscriptions"]!.AsArray().ToDictionary(s => s!["list"]!.GetValue<string>());
        Assert.Equal("weekly", subscriptions["statements"]!["cadence"]!.GetValue<string>());
        Assert.Equal("confirmed", subscriptions["statements"]!["status"]!.GetValue<string>());
        Assert.Equal("unsubscribed", subscriptions["korea"]!["status"]!.GetValue<string>());
        Assert.Equal("ko", person["language"]!.GetValue<string>());
        Assert.Equal("Asia/Seoul", person["timeZone"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_browser_in_Turkish_in_Istanbul_signs_up_in_Turkish_with_its_time_zone()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, kestrel: true);
        await app.Api.PostOkAsync("/api/lists", new { name = "Statements", slug = "statements" }, System.Net.HttpStatusCode.Created);
        var page = await chromium.NewPageAsync(app.ServerAddress!, locale: "tr-TR", timeZone: "Europe/Istanbul");

        await page.GotoAsync("/subscribe/statements");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "tr");
        await Assertions.Expect(page.GetByLabel("E-postalarımızın dili")).ToHaveValueAsync("tr"); // "Language of our emails"
        await Assertions.Expect(page.Locator("#time-zone")).ToHaveValueAsync("Europe/Istanbul");
        await page.GetByLabel("E-posta adresi").FillAsync("elif@example.org");
        await page.GetByRole(AriaRole.Button, new() { Name = "Abone ol" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Gelen kutunuza bakın" })).ToBeVisibleAsync(); // "Check your inbox"

        var elif = await app.Api.GetJsonAsync("/api/subscribers/elif@example.org");
        Assert.Equal("tr", elif["language"]!.GetValue<string>());
        Assert.Equal("Europe/Istanbul", elif["timeZone"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_browser_in_Arabic_gets_the_sign_up_page_right_to_left_in_Arabic()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, kestrel: true);
        await app.Api.PostOkAsync("/api/lists", new { name = "Statements", slug = "statements" }, System.Net.HttpStatusCode.Created);
        var page = await chromium.NewPageAsync(app.ServerAddress!, locale: "ar-EG", timeZone: "Africa/Cairo");

        await page.GotoAsync("/subscribe/statements");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("dir", "rtl");
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "ar");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "اشترك" })).ToBeVisibleAsync(); // "Subscribe"
        // Nothing hidden off to one side widens the page (the bots' field is clipped in place).
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"));
        await Chromium.ScreenshotAsync(page, "subscribe-form-arabic");
    }
}

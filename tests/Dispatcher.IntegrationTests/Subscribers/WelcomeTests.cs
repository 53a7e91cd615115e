using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Subscribers;

/// <summary>A list's welcome email goes once, when a subscription becomes confirmed: by the confirmation link, at once on
/// a single opt-in list, or by an import that asks for it.</summary>
public sealed class WelcomeTests
{
    private const string Subject = "Welcome to Korea solidarity";

    private static async Task<DispatcherApp> StartAsync(Stack stack, TestSmtpServer smtp, bool doubleOptIn)
    {
        var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?> { ["Subscribers:SignUpsPerMinutePerClient"] = "100" });
        await app.Api.PostOkAsync("/api/lists", new
        {
            name = "Korea solidarity", slug = "korea", doubleOptIn,
            welcomeSubject = Subject,
            welcomeMarkdown = "Thank you for joining. We send statements from the **Korean labour movement**.<script>alert(1)</script>",
        }, HttpStatusCode.Created);
        return app;
    }

    private static Task<List<ReceivedMail>> MailAsync(TestSmtpServer smtp, string email, string subject, int count) =>
        Eventually.UntilAsync(() => Task.FromResult(smtp.To(email).Where(m => m.Subject == subject).ToList()), m => m.Count >= count,
            TimeSpan.FromSeconds(30), $"{count} × '{subject}' to {email}");

    [Theory]
    [BothStacks]
    public async Task On_a_single_opt_in_list_a_sign_up_is_welcomed_once(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await StartAsync(stack, smtp, doubleOptIn: false);
        using var browser = app.ClientWithKey(null);

        (await browser.SubmitFormAsync("/subscribe/korea", new Dictionary<string, string> { ["Email"] = "minji@example.org", ["Name"] = "Min-ji" })).Dispose();
        var welcome = (await MailAsync(smtp, "minji@example.org", Subject, 1)).Single();
        Assert.Contains("<strong>Korean labour movement</strong>", welcome.Message.HtmlBody);
        Assert.DoesNotContain("<script", welcome.Message.HtmlBody);
        Assert.NotNull(welcome.Message.Headers["List-Unsubscribe"]);

        // Signing up again: "you are already subscribed", not a second welcome.
        (await browser.SubmitFormAsync("/subscribe/korea", new Dictionary<string, string> { ["Email"] = "minji@example.org" })).Dispose();
        await MailAsync(smtp, "minji@example.org", "You are already subscribed to Korea solidarity", 1);
        Assert.Single(smtp.To("minji@example.org"), m => m.Subject == Subject);
    }

    [Fact]
    public async Task On_a_double_opt_in_list_the_welcome_comes_after_the_confirmation_once_however_often_it_is_clicked()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await StartAsync(Stack.InMemorySqlite, smtp, doubleOptIn: true);
        using var browser = app.ClientWithKey(null);

        (await browser.SubmitFormAsync("/subscribe/korea", new Dictionary<string, string> { ["Email"] = "jiho@example.org" })).Dispose();
        var confirmation = (await MailAsync(smtp, "jiho@example.org", "Confirm your subscription to Korea solidarity", 1)).Single();
        Assert.DoesNotContain(smtp.To("jiho@example.org"), m => m.Subject == Subject); // not before

        // The confirm button pressed three times at once.
        var (action, values) = await browser.ReadFormAsync(Pages.LinkIn(confirmation.Message, "/confirm/"), new Dictionary<string, string>());
        await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ => (await browser.PostAsync(action, new FormUrlEncodedContent(values))).Dispose()));
        await MailAsync(smtp, "jiho@example.org", Subject, 1);
        var dispatches = await app.Api.GetJsonAsync("/api/dispatches?kind=welcome");
        await app.Api.WaitForDispatchAsync(dispatches["items"]![0]!["id"]!.GetValue<long>());
        Assert.Single(smtp.To("jiho@example.org"), m => m.Subject == Subject);
        Assert.Single(dispatches["items"]!.AsArray());
    }

    [Fact]
    public async Task An_import_welcomes_only_when_asked_and_only_once()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await StartAsync(Stack.InMemorySqlite, smtp, doubleOptIn: true);
        var csv = Encoding.UTF8.GetBytes("email\nseoyeon@example.org\nhana@example.org\n");

        await app.Api.ImportCsvAsync("korea", Encoding.UTF8.GetBytes("email\nquiet@example.org\n"));
        await app.Api.ImportCsvAsync("korea", csv, "?welcome=true");
        await app.Api.ImportCsvAsync("korea", csv, "?welcome=true"); // again: they were welcomed already

        await MailAsync(smtp, "seoyeon@example.org", Subject, 1);
        await MailAsync(smtp, "hana@example.org", Subject, 1);
        var dispatches = await app.Api.GetJsonAsync("/api/dispatches?kind=welcome");
        foreach (var dispatch in dispatches["items"]!.AsArray()) await app.Api.WaitForDispatchAsync(dispatch!["id"]!.GetValue<long>());
        Assert.Single(dispatches["items"]!.AsArray());
        Assert.Empty(smtp.To("quiet@example.org"));
        Assert.Single(smtp.To("seoyeon@example.org"));
    }

    [Fact]
    public async Task An_admin_adding_a_confirmed_reader_welcomes_them_only_when_asked()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await StartAsync(Stack.InMemorySqlite, smtp, doubleOptIn: true);

        await app.Api.PostOkAsync("/api/lists/korea/subscribers?welcome=true", new { email = "sumin@example.org", confirmed = true }, HttpStatusCode.Created);
        await app.Api.PostOkAsync("/api/lists/korea/subscribers", new { email = "quiet@example.org", confirmed = true }, HttpStatusCode.Created);
        await app.Api.PostOkAsync("/api/lists/korea/subscribers?welcome=true", new { email = "sumin@example.org", confirmed = true }, HttpStatusCode.OK);

        await MailAsync(smtp, "sumin@example.org", Subject, 1);
        var dispatches = await app.Api.GetJsonAsync("/api/dispatches?kind=welcome");
        await app.Api.WaitForDispatchAsync(dispatches["items"]![0]!["id"]!.GetValue<long>());
        Assert.Single(dispatches["items"]!.AsArray());
        Assert.Empty(smtp.To("quiet@example.org"));
    }

    [Fact]
    public async Task A_welcome_needs_both_a_subject_and_a_text()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);

        using var response = await app.Api.PostAsJsonAsync("/api/lists", new { name = "Korea", slug = "korea", welcomeSubject = "Welcome" });
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(problem["errors"]!["welcomeMarkdown"]);
    }
}

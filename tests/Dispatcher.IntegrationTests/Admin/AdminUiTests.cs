using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Dispatcher.IntegrationTests.Admin;

/// <summary>The admin UI in Debian's Chromium: the whole path of an urgent alert with two people, imports, the
/// capture mailbox and erasure — and that user text never runs as script and organisers stay inside their lists.</summary>
public sealed class AdminUiTests(Chromium chromium) : IClassFixture<Chromium>
{
    private const string AdminEmail = "admin@example.org";
    private const string AdminPassword = "a long admin password 1";
    private const string Hostile = "<img src=x onerror=alert(1)>";

    private static Task<DispatcherApp> StartAsync(bool codeEditing = false) => DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
    {
        ["Dispatcher:Bootstrap:AdminEmail"] = AdminEmail,
        ["Dispatcher:Bootstrap:AdminPassword"] = AdminPassword,
        ["Templates:AllowCodeEditing"] = codeEditing ? "true" : null,
    }, kestrel: true);

    /// <summary>A password an admin set must be replaced by the person's own before anything else.</summary>
    internal static async Task LogInFirstTimeAsync(IPage page, string email, string given, string chosen)
    {
        await page.GotoAsync("/admin/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(given);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByText("Choose your own before you go on.")).ToBeVisibleAsync();
        await page.GotoAsync("/admin/alerts"); // nothing else opens until then
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your account" })).ToBeVisibleAsync();
        await page.GetByLabel("Current password").FillAsync(given);
        await page.GetByLabel("New password (at least 12 characters)").FillAsync(chosen);
        await page.GetByLabel("New password again").FillAsync(chosen);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
    }

    private static async Task LogInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/admin/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_statement_is_published_from_the_form_with_a_translation_and_each_reader_gets_theirs()
    {
        await using var app = await StartAsync();
        await app.Api.CreateListAsync("korea", "Korea solidarity", doubleOptIn: false);
        await app.Api.PostOkAsync("/api/lists/korea/subscribers", new { email = "minji@example.org", language = "ko", confirmed = true }, HttpStatusCode.Created);
        await app.Api.PostOkAsync("/api/lists/korea/subscribers", new { email = "anna@example.org", language = "en", confirmed = true }, HttpStatusCode.Created);
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);

        await admin.GotoAsync("/admin/statements/new");
        await admin.GetByLabel("Title", new() { Exact = true }).FillAsync("Stop the repression of South Korean trade unionists");
        await admin.GetByLabel("Written in").SelectOptionAsync("en");
        await admin.GetByLabel("Translation 1: language").SelectOptionAsync("ko");
        await admin.GetByLabel("Translation 1: title").FillAsync("한국 노동조합원에 대한 탄압을 멈춰라");
        await admin.GetByLabel("Korea solidarity").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Published and on its way.")).ToBeVisibleAsync();

        var statements = await app.Api.GetJsonAsync("/api/statements");
        var translation = Assert.Single(statements["items"]![0]!["translations"]!.AsArray())!;
        Assert.Equal(("ko", "한국 노동조합원에 대한 탄압을 멈춰라"), (translation["language"]!.GetValue<string>(), translation["title"]!.GetValue<string>()));
        await admin.GotoAsync("/admin/statements");
        await Assertions.Expect(admin.GetByRole(AriaRole.Cell, new() { Name = "en, ko" })).ToBeVisibleAsync();
        var subjects = await Eventually.UntilAsync(async () => (await app.Api.GetJsonAsync("/api/mailbox"))["items"]!.AsArray()
                .ToDictionary(m => m!["to"]![0]!.GetValue<string>(), m => m!["subject"]!.GetValue<string>()),
            received => received.Count >= 2, TimeSpan.FromSeconds(30), "both readers' statements in the capture mailbox");
        Assert.Equal("한국 노동조합원에 대한 탄압을 멈춰라", subjects["minji@example.org"]);
        Assert.Equal("Stop the repression of South Korean trade unionists", subjects["anna@example.org"]);
    }

    /// <summary>Two lists (turkey needs a second person's approval) with two people each, and an organiser of turkey
    /// only, made through the API and the database: what the focused tests below start from.</summary>
    private static async Task<DispatcherApp> StartWithListsAsync()
    {
        var app = await StartAsync();
        await app.Api.PostOkAsync("/api/lists", new { name = "Turkey solidarity", slug = "turkey", requireApproval = true }, HttpStatusCode.Created);
        await app.Api.CreateListAsync("korea", "Korea solidarity");
        foreach (var (list, email) in new[] { ("turkey", "ayse@example.org"), ("turkey", "rojda@example.org"), ("korea", "minji@example.org") })
            await app.Api.SubscribeAsync(list, email);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>();
        var approver = new Dispatcher.Access.User
        {
            Email = "approver@example.org", Role = Dispatcher.Access.Role.Organiser, Lists = ["turkey"], PasswordHash = "",
            SecurityStamp = Dispatcher.Access.UserLogins.NewStamp(), CreatedAt = DateTime.UtcNow,
        };
        approver.PasswordHash = Dispatcher.Access.UserLogins.Hash(approver, ApproverPassword);
        db.Users.Add(approver);
        await db.SaveChangesAsync();
        return app;
    }

    [Fact]
    public async Task The_dashboard_draws_the_days_messages_and_each_alerts_time_to_its_last_message()
    {
        await using var app = await StartAsync();
        await app.Api.CreateListWithReadersAsync("statements", 20);
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Vigil tonight", bodyMarkdown = "At 19:00.", lists = new[] { "statements" } },
            HttpStatusCode.Created);
        var sent = await app.Api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted);
        await app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>());

        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);
        await Assertions.Expect(admin.Locator("#chart-daily")).ToHaveAttributeAsync("data-points", "30");
        await Assertions.Expect(admin.Locator("#chart-alerts")).ToHaveAttributeAsync("data-points", "1");
        await Assertions.Expect(admin.Locator("#chart-daily canvas")).ToBeVisibleAsync();
        // One list drawn over 30 days, ending with its 20 readers.
        await Assertions.Expect(admin.Locator("#chart-confirmed")).ToHaveAttributeAsync("data-points", "30");
        // Today's point is the 40 messages: the statement and the alert, 20 each.
        Assert.Equal(40, await admin.EvaluateAsync<int>("JSON.parse(document.getElementById('charts-data').textContent).daily.sent.at(-1)"));
        Assert.Equal(20, await admin.EvaluateAsync<int>("JSON.parse(document.getElementById('charts-data').textContent).confirmed.lists[0].confirmed.at(-1)"));

        await admin.GetByRole(AriaRole.Link, new() { Name = "90 days" }).ClickAsync();
        await Assertions.Expect(admin.Locator("#chart-daily")).ToHaveAttributeAsync("data-points", "90");
        await Assertions.Expect(admin.Locator("#chart-confirmed")).ToHaveAttributeAsync("data-points", "90");
        await Assertions.Expect(admin.GetByText("Per day, last 90 days: sent, bounced, complaints")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_running_dispatch_draws_its_send_rate_live_on_the_dashboard_and_its_page_until_it_completes()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            ["Dispatcher:Bootstrap:AdminEmail"] = AdminEmail,
            ["Dispatcher:Bootstrap:AdminPassword"] = AdminPassword,
        }, kestrel: true);
        await app.Api.CreateListWithReadersAsync("statements", 40);
        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Vigil tonight", bodyMarkdown = "At 19:00.", lists = new[] { "statements" } },
            HttpStatusCode.Created);
        var sent = await app.Api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted);
        await app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>());
        // One reader's message waits at the relay: the dispatch stays running, however fast the machine is.
        smtp.Hold = to => to == "reader40@example.org";
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n == 40 + 39, TimeSpan.FromSeconds(60), "the alert and all but the held message");

        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);
        // A point a second from the dispatch's events: two mean the stream is live, not a drawing of the page's numbers.
        await Assertions.Expect(admin.Locator("#chart-rate")).ToHaveAttributeAsync("data-points", new Regex("^([2-9]|\\d\\d+)$"), new() { Timeout = 15_000 });
        await Assertions.Expect(admin.Locator("#chart-rate canvas")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(admin, "admin-dashboard-charts"); // README's picture: every chart has something to draw

        await admin.GotoAsync($"/admin/dispatches/{dispatchId}");
        await Assertions.Expect(admin.Locator("#chart-rate")).ToHaveAttributeAsync("data-points", new Regex("^([2-9]|\\d\\d+)$"), new() { Timeout = 15_000 });
        // Paused and resumed from the page: both are in its history, with who did it.
        await admin.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Assertions.Expect(admin.Locator("#dispatch-history")).ToContainTextAsync("dispatch.paused");
        await Assertions.Expect(admin.Locator("#dispatch-history")).ToContainTextAsync("dispatch.resumed");
        await Assertions.Expect(admin.Locator("#dispatch-history")).ToContainTextAsync(AdminEmail);
        smtp.Release();
        await Assertions.Expect(admin.Locator("#chart-rate")).ToHaveAttributeAsync("data-finished", "completed", new() { Timeout = 30_000 });

        // The stream is the caller's: without the login cookie it is a way to the login page.
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = app.ServerAddress };
        using var response = await anonymous.GetAsync($"/admin/dispatches/{dispatchId}?handler=Events");
        Assert.Equal((HttpStatusCode.Redirect, "/admin/login"), (response.StatusCode, response.Headers.Location?.AbsolutePath));
    }

    private const string ApproverPassword = "the approver's own password 7";

    [Fact]
    public async Task An_admin_sets_a_readers_language_zone_and_attributes_and_an_organiser_cannot_open_them()
    {
        await using var app = await StartWithListsAsync();
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);

        await admin.GotoAsync("/admin/lists/turkey");
        await admin.GetByRole(AriaRole.Link, new() { Name = "ayse@example.org" }).ClickAsync();
        await admin.GetByLabel("Language").SelectOptionAsync("tr");
        await admin.GetByLabel("Time zone (IANA, e.g. Asia/Seoul; empty: UTC)").FillAsync("Europe/Istanbul");
        await admin.GetByLabel("Attributes (what audiences choose by: a line each)").FillAsync("country = TR\ncity = Ankara");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Saved.")).ToBeVisibleAsync();
        await admin.GetByLabel("Attributes (what audiences choose by: a line each)").FillAsync("city Ankara");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("'city Ankara': write an attribute, '=' and its value")).ToBeVisibleAsync();

        var ayse = await app.Api.GetJsonAsync("/api/subscribers/ayse@example.org");
        Assert.Equal(("tr", "Europe/Istanbul"), (ayse["language"]!.GetValue<string>(), ayse["timeZone"]!.GetValue<string>()));
        Assert.Equal(new Dictionary<string, string> { ["city"] = "Ankara", ["country"] = "TR" },
            ayse["attributes"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!.GetValue<string>()));

        // Who is on a list, and what is known of them, is for admins: not for an organiser of the list.
        var approver = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(approver, "approver@example.org", ApproverPassword);
        var response = await approver.GotoAsync("/admin/subscribers/details?email=ayse%40example.org");
        Assert.Equal(403, response!.Status);
    }

    [Fact]
    public async Task A_list_is_created_and_an_import_keeps_the_good_rows_reports_the_bad_by_line_and_shows_what_people_wrote_as_text()
    {
        await using var app = await StartAsync();
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);
        await Chromium.ScreenshotAsync(admin, "admin-dashboard");

        await admin.GotoAsync("/admin/lists");
        await admin.GetByLabel("Name", new() { Exact = true }).FillAsync("Turkey solidarity");
        await admin.GetByLabel("Slug").FillAsync("turkey");
        await admin.GetByLabel("Alerts need a second person's approval").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create list" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("List “Turkey solidarity” created.")).ToBeVisibleAsync();
        await admin.GetByLabel("Name", new() { Exact = true }).FillAsync("Again");
        await admin.GetByLabel("Slug").FillAsync("turkey");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create list" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("A list with slug 'turkey' exists already.")).ToBeVisibleAsync(); // as the API says

        await admin.GotoAsync("/admin/lists/turkey");
        await admin.Locator("#file").SetInputFilesAsync(new FilePayload
        {
            Name = "people.csv", MimeType = "text/csv",
            Buffer = Encoding.UTF8.GetBytes($"email,name\nayse@example.org,Ayşe\nnot-an-address,Nobody\n\"{Hostile}@example.org\",x\nrojda@example.org,\"{Hostile}\"\n"),
        });
        await admin.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        var report = admin.Locator("#import-result");
        await Assertions.Expect(report).ToContainTextAsync("Imported 2");
        await Assertions.Expect(report.Locator("tr", new() { HasText = "not-an-address" })).ToContainTextAsync("3");
        await Chromium.ScreenshotAsync(admin, "admin-list-import");

        // What people wrote is shown as text, never run: the page's dialog handler fails the test if script runs.
        await admin.GotoAsync("/admin/lists/turkey");
        await Assertions.Expect(admin.GetByRole(AriaRole.Cell, new() { Name = Hostile, Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_alert_is_composed_with_a_live_preview_approved_by_a_second_person_and_followed_to_the_end()
    {
        await using var app = await StartWithListsAsync();
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);

        await admin.GotoAsync("/admin/alerts/compose");
        await admin.GetByLabel("Subject", new() { Exact = true }).FillAsync("Protest tonight at the Turkish embassy, 18:00");
        await admin.GetByLabel("Message (Markdown)", new() { Exact = true }).FillAsync("Over a hundred are dead after the bomb attack in **Ankara**.");
        await admin.GetByLabel("Action link").FillAsync("https://example.org/protest");
        await admin.Locator("fieldset").GetByLabel("Turkey solidarity (needs approval)").CheckAsync();
        await Assertions.Expect(admin.FrameLocator("#preview-frame").Locator("p", new() { HasText = "Over a hundred are dead" })).ToBeVisibleAsync();
        await Assertions.Expect(admin.Locator("#preview-text")).ToContainTextAsync("Take action now (https://example.org/protest)");
        await Chromium.ScreenshotAsync(admin, "admin-alert-compose");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Draft saved.")).ToBeVisibleAsync();
        var alertUrl = admin.Url;

        // Asking to send needs a tick; it then waits for someone else.
        await admin.GetByLabel("I have checked the preview").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Ask for approval" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Waiting for a second person's approval.")).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByText("Someone else — another organiser of these lists or an admin — must approve it.")).ToBeVisibleAsync();

        var approver = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(approver, "approver@example.org", ApproverPassword);
        await approver.GotoAsync(alertUrl);
        await Assertions.Expect(approver.GetByText("It goes to", new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(approver.Locator(".stat").First).ToHaveTextAsync("2");
        await Chromium.ScreenshotAsync(approver, "admin-alert-approve");
        await approver.GetByLabel("I have checked it").CheckAsync();
        await approver.GetByRole(AriaRole.Button, new() { Name = "Approve and send" }).ClickAsync();

        // The approval lands on the alert's own dispatch, whatever its number, and follows it live until it completes.
        await Assertions.Expect(approver.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex(@"^Dispatch #\d+: alert$") })).ToBeVisibleAsync();
        await Assertions.Expect(approver.Locator("[data-field=status]")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
        await Assertions.Expect(approver.Locator("[data-field=sent]")).ToHaveTextAsync("2");
        await Assertions.Expect(approver.Locator("[data-field=percent]")).ToHaveTextAsync("100%");
        await Assertions.Expect(approver.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToBeHiddenAsync();
        await Chromium.ScreenshotAsync(approver, "admin-dispatch");

        await admin.GotoAsync("/admin/audit");
        await Assertions.Expect(admin.GetByText("alert.approved")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(admin, "admin-audit");
    }

    [Fact]
    public async Task An_admin_sets_what_a_lists_sign_up_form_asks_for_and_its_welcome_email()
    {
        await using var app = await StartWithListsAsync();
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);

        await admin.GotoAsync("/admin/lists/korea/edit");
        await admin.GetByLabel("Sign-up form asks for").FillAsync("Country, city");
        await admin.GetByLabel("Welcome email: subject").FillAsync("Welcome to Korea solidarity");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("A welcome email needs both a subject and a text")).ToBeVisibleAsync();
        await admin.GotoAsync("/admin/lists/korea/edit");
        await admin.GetByLabel("Sign-up form asks for").FillAsync("Country, city");
        await admin.GetByLabel("Welcome email: subject").FillAsync("Welcome to Korea solidarity");
        await admin.GetByLabel("Welcome email: text (Markdown)").FillAsync("Thank you for joining.");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Saved.")).ToBeVisibleAsync();

        var korea = await app.Api.GetJsonAsync("/api/lists/korea");
        Assert.Equal(["country", "city"], korea["askFor"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("Welcome to Korea solidarity", korea["welcomeSubject"]!.GetValue<string>());
        await admin.GotoAsync("/subscribe/korea");
        await Assertions.Expect(admin.GetByLabel("Country")).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByLabel("City")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_alert_to_an_audience_shows_its_approver_the_filter_and_the_count_and_reaches_only_those_people()
    {
        await using var app = await StartWithListsAsync();
        await app.Api.ImportCsvAsync("turkey", Encoding.UTF8.GetBytes("email,city\nayse@example.org,Ankara\nrojda@example.org,İzmir\n"));
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);

        await admin.GotoAsync("/admin/alerts/compose");
        await admin.GetByLabel("Subject", new() { Exact = true }).FillAsync("Vigil in Ankara tonight");
        await admin.GetByLabel("Message (Markdown)", new() { Exact = true }).FillAsync("At **19:00** in Kızılay.");
        await admin.Locator("fieldset").GetByLabel("Turkey solidarity (needs approval)").CheckAsync();
        await admin.GetByLabel("Audience (optional)").FillAsync("city Ankara");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("write an attribute, '=' and its values")).ToBeVisibleAsync();
        await admin.GetByLabel("Audience (optional)").FillAsync("city = Ankara");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save draft" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Draft saved.")).ToBeVisibleAsync();
        await admin.GetByLabel("I have checked the preview").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Ask for approval" }).ClickAsync();
        var alertUrl = admin.Url;

        var approver = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(approver, "approver@example.org", ApproverPassword);
        await approver.GotoAsync(alertUrl);
        await Assertions.Expect(approver.Locator(".stat").First).ToHaveTextAsync("1");
        await Assertions.Expect(approver.GetByText("those of its lists whose city is Ankara")).ToBeVisibleAsync();
        await approver.GetByLabel("I have checked it").CheckAsync();
        await approver.GetByRole(AriaRole.Button, new() { Name = "Approve and send" }).ClickAsync();
        await Assertions.Expect(approver.Locator("[data-field=status]")).ToHaveTextAsync("completed", new() { Timeout = 30_000 });
        await Assertions.Expect(approver.Locator("[data-field=sent]")).ToHaveTextAsync("1");
    }

    [Fact]
    public async Task A_user_an_admin_creates_chooses_their_own_password_at_the_first_login_and_stays_inside_their_lists()
    {
        await using var app = await StartWithListsAsync();
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);
        await admin.GotoAsync("/admin/users");
        await admin.GetByLabel("Email", new() { Exact = true }).FillAsync("second@example.org");
        await admin.GetByLabel("Role").SelectOptionAsync("organiser");
        await admin.Locator("fieldset").GetByLabel("Turkey solidarity").CheckAsync();
        await admin.GetByLabel("Password (leave empty for a generated one)").FillAsync("another person's passphrase 42");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Create user" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("second@example.org can log in now.")).ToBeVisibleAsync();

        var second = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInFirstTimeAsync(second, "second@example.org", "another person's passphrase 42", "words only they know 7");

        Assert.Equal(403, (await second.GotoAsync("/admin/lists/korea"))!.Status);
        Assert.Equal(403, (await second.GotoAsync("/admin/users"))!.Status);
        Assert.Equal(200, (await second.GotoAsync("/admin/lists/turkey"))!.Status);
        await Assertions.Expect(second.GetByText("Who is on the list is shown to admins only.")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_capture_mailbox_shows_what_went_out_and_someone_can_be_erased_with_a_confirmation()
    {
        await using var app = await StartWithListsAsync();
        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Protest tonight at the Turkish embassy, 18:00", bodyMarkdown = "Join us.", lists = new[] { "korea" } }, HttpStatusCode.Created);
        var sent = await app.Api.PostOkAsync($"/api/alerts/{alert.Int("id")}/send", new { }, HttpStatusCode.Accepted);
        await app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>());
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);

        await admin.GotoAsync("/admin/mailbox");
        await admin.GetByRole(AriaRole.Link, new() { Name = "Protest tonight at the Turkish embassy, 18:00" }).First.ClickAsync();
        await Assertions.Expect(admin.FrameLocator("iframe.preview").GetByText("Urgent solidarity alert")).ToBeVisibleAsync();
        await Assertions.Expect(admin.Locator("pre").Last).ToContainTextAsync("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
        await Chromium.ScreenshotAsync(admin, "admin-mailbox-message");

        await admin.GotoAsync("/admin/lists/turkey");
        await admin.Locator("tr", new() { HasText = "ayse@example.org" }).GetByRole(AriaRole.Link, new() { Name = "Erase…" }).ClickAsync();
        await admin.GetByLabel("Yes, erase ayse@example.org").CheckAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Erase" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("ayse@example.org is erased.")).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Cell, new() { Name = "ayse@example.org" })).ToHaveCountAsync(0);

        foreach (var (path, name) in new[] { ("/admin/dispatches", "admin-dispatches"), ("/admin/statements", "admin-statements"), ("/admin/templates", "admin-templates"), ("/admin/keys", "admin-keys"), ("/admin/bounces", "admin-bounces") })
        {
            await admin.GotoAsync(path);
            await Chromium.ScreenshotAsync(admin, name);
        }
    }

    [Fact]
    public async Task Failed_bus_messages_are_shown_to_admins_and_can_be_dismissed()
    {
        await using var app = await StartAsync();
        // How a message gets here (retries, the error queue) is PoisonMessageTests' business; this is what people see.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>();
            db.FailedMessages.Add(new Dispatcher.Faults.FailedMessage
            {
                MessageType = "StatementPublished", Payload = "{\"StatementId\":7,\"DispatchId\":9}",
                Error = "System.InvalidOperationException: No delivery plan for 99 dispatches. " + Hostile, FaultedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);

        await admin.GotoAsync("/admin/dispatches");
        await Assertions.Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Failed messages" })).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByText("No delivery plan for 99 dispatches. " + Hostile)).ToBeVisibleAsync(); // shown as text, not run
        await admin.GetByRole(AriaRole.Button, new() { Name = "Dismiss" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Dismissed.")).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByRole(AriaRole.Heading, new() { Name = "Failed messages" })).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task With_code_editing_on_a_template_that_does_not_compile_is_refused_the_old_one_stays_and_every_check_is_audited()
    {
        await using var app = await StartAsync(codeEditing: true);
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await LogInAsync(admin, AdminEmail, AdminPassword);

        await admin.GotoAsync("/admin/templates/Statement");
        await Assertions.Expect(admin.FrameLocator("iframe.preview").GetByText("Stop the repression of South Korean trade unionists")).ToBeVisibleAsync();
        var original = await admin.Locator("#source").InputValueAsync();
        await admin.Locator("#source").FillAsync(original.Replace("<h1>@Model.Title</h1>", "<h1>@Model.NoSuchProperty</h1>"));
        await admin.GetByRole(AriaRole.Button, new() { Name = "Check and save" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Not saved: the template does not compile.")).ToBeVisibleAsync();
        await Assertions.Expect(admin.Locator(".flash.error pre")).ToContainTextAsync("NoSuchProperty");
        await Chromium.ScreenshotAsync(admin, "admin-template-refused");

        await admin.GotoAsync("/admin/templates/Statement");
        await Assertions.Expect(admin.Locator("#source")).ToHaveValueAsync(original);

        // A good edit is saved and used by the next dispatch.
        await admin.Locator("#source").FillAsync(original.Replace("Read the full statement", "Read it all"));
        await admin.GetByRole(AriaRole.Button, new() { Name = "Check and save" }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Saved.")).ToBeVisibleAsync();
        await Assertions.Expect(admin.Locator("#source")).ToHaveValueAsync(original.Replace("Read the full statement", "Read it all"));
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "reader@example.org");
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Solidarity", url = "https://example.org/s", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        var mailbox = await app.Api.GetJsonAsync("/api/mailbox");
        var raw = await app.Api.GetStringAsync($"/api/mailbox/{mailbox["items"]![0]!["id"]}");
        Assert.Contains("Read it all", raw);

        // Both tries are on record, with the source that was compiled.
        var audit = (await app.Api.GetJsonAsync("/api/audit?action=template."))["items"]!.AsArray();
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "template.checked" && a["details"]!.GetValue<string>().Contains("NoSuchProperty"));
        Assert.Contains(audit, a => a!["action"]!.GetValue<string>() == "template.updated" && a["details"]!.GetValue<string>().Contains("Read it all"));
    }

    [Fact]
    public async Task Logins_need_the_antiforgery_token_and_the_right_password_and_lock_after_repeated_failures()
    {
        await using var app = await StartAsync();
        using var bot = app.ClientWithKey(null);

        using var forged = await bot.PostAsync("/admin/login", new FormUrlEncodedContent([new("Email", AdminEmail), new("Password", AdminPassword)]));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Null(forged.Headers.Location);

        var page = await chromium.NewPageAsync(app.ServerAddress!);
        for (var i = 0; i < 5; i++)
        {
            await page.GotoAsync("/admin/login");
            await page.GetByLabel("Email").FillAsync(AdminEmail);
            await page.GetByLabel("Password").FillAsync("wrong password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("wrong");
        }
        await page.GetByLabel("Email").FillAsync(AdminEmail);
        await page.GetByLabel("Password").FillAsync(AdminPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("wrong, or the account is locked"); // the same answer as a wrong password

        var anonymous = await page.Context.Browser!.NewPageAsync();
        var redirected = await anonymous.GotoAsync(new Uri(app.ServerAddress!, "/admin/lists").ToString());
        Assert.EndsWith("/admin/login?ReturnUrl=%2Fadmin%2Flists", redirected!.Url);
    }
}

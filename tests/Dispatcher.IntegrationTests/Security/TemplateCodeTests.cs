using System.Net;
using System.Net.Http.Json;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>Templates are code, so nothing an admin types in the web UI is compiled: with the default settings no page
/// or API takes template source, and what the "Email content" page takes is text — Razor typed there shows as what it
/// is, reads no file and writes none.</summary>
public sealed class TemplateCodeTests(Chromium chromium) : IClassFixture<Chromium>, IDisposable
{
    private const string AdminEmail = "admin@example.org";
    private const string AdminPassword = "a long admin password 1";

    // A file only the server can read, and one that Razor would write if it ran.
    private readonly string _secret = Path.Combine(Directory.CreateTempSubdirectory("dispatcher-razor-").FullName, "secret.txt");
    private readonly string _secretText = $"top-secret-{Guid.NewGuid():N}";
    private string Marker => _secret + ".written";
    private string Razor => $"@System.IO.File.ReadAllText(\"{_secret}\") @{{ System.IO.File.WriteAllText(\"{Marker}\", \"pwned\"); }}";

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_secret)!, recursive: true);

    private Task<DispatcherApp> StartAsync()
    {
        File.WriteAllText(_secret, _secretText);
        return DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatcher:Bootstrap:AdminEmail"] = AdminEmail,
            ["Dispatcher:Bootstrap:AdminPassword"] = AdminPassword,
        }, kestrel: true);
    }

    [Fact]
    public async Task An_admin_who_types_razor_into_the_web_ui_gets_no_file_back_and_no_file_is_written()
    {
        await using var app = await StartAsync();
        var admin = await chromium.NewPageAsync(app.ServerAddress!);
        await admin.GotoAsync("/admin/login");
        await admin.GetByLabel("Email").FillAsync(AdminEmail);
        await admin.GetByLabel("Password").FillAsync(AdminPassword);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();

        // The template page shows the source and how it renders, with nothing to edit.
        await admin.GotoAsync("/admin/templates/Statement");
        await Assertions.Expect(admin.GetByLabel("Source (read only)")).ToContainTextAsync("@Model.Title");
        await Assertions.Expect(admin.Locator("textarea")).ToHaveCountAsync(0);
        await Chromium.ScreenshotAsync(admin, "admin-template-code");

        // Email content: Razor is just words there, in the live preview and in what is saved.
        await admin.GotoAsync("/admin/branding");
        await admin.GetByLabel("Organisation name").FillAsync("Socialism From Below");
        await admin.Locator("fieldset", new() { HasText = "Statement —" }).GetByLabel("Above the content").FillAsync(Razor);
        await admin.GetByLabel("Footer").FillAsync("Socialism From Below, 1 Rue de la Solidarité, Paris");
        var preview = admin.FrameLocator("#preview-frame");
        await Assertions.Expect(preview.GetByText("System.IO.File.ReadAllText")).ToBeVisibleAsync();
        await Assertions.Expect(preview.GetByText("1 Rue de la Solidarité")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(admin, "admin-email-content");
        await admin.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Assertions.Expect(admin.GetByText("Saved.")).ToBeVisibleAsync();
        Assert.DoesNotContain(_secretText, await admin.ContentAsync());
        Assert.DoesNotContain(_secretText, await preview.Locator("body").InnerHTMLAsync());

        // A statement goes out with those words in it, as words.
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "reader@example.org");
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Solidarity with the Seoul protesters", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        var mailbox = await app.Api.GetJsonAsync("/api/mailbox");
        var raw = MimeKit.MimeMessage.Load(await app.Api.GetStreamAsync($"/api/mailbox/{mailbox["items"]![0]!["id"]}"));
        Assert.Contains("System.IO.File.ReadAllText", raw.HtmlBody);
        Assert.Contains("1 Rue de la Solidarité", raw.TextBody);
        Assert.DoesNotContain(_secretText, raw.HtmlBody);
        Assert.False(File.Exists(Marker), "the Razor typed in the admin UI ran");
    }

    [Fact]
    public async Task No_form_or_api_takes_template_source_unless_code_editing_is_on()
    {
        await using var app = await StartAsync();
        using var browser = app.ClientWithKey(null);
        using (await browser.SubmitFormAsync("/admin/login", new Dictionary<string, string> { ["Email"] = AdminEmail, ["Password"] = AdminPassword })) { }

        // The branding form posted as if code editing were on: every handler refuses, before compiling anything.
        foreach (var handler in new[] { "", "?handler=Check", "?handler=Reset" })
        {
            var (_, page) = await browser.GetPageAsync("/admin/branding"); // any admin page, for an antiforgery token
            var token = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(page).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
            using var posted = await browser.PostAsync($"/admin/templates/Statement{handler}",
                new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("Source", Razor)]));
            Assert.Equal(HttpStatusCode.Forbidden, posted.StatusCode);
            Assert.DoesNotContain(_secretText, await posted.Content.ReadAsStringAsync());
        }

        // The API takes text blocks, and keeps them as text.
        using var put = await app.Api.PutAsJsonAsync("/api/branding", new { texts = new Dictionary<string, string> { ["Alert.Closing"] = Razor } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await app.Api.CreateListAsync("turkey");
        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Protest tonight", bodyMarkdown = "At the embassy.", lists = new[] { "turkey" } }, HttpStatusCode.Created);
        var preview = await app.Api.GetJsonAsync($"/api/alerts/{alert.Int("id")}/preview");
        Assert.Contains("System.IO.File.ReadAllText", preview["text"]!.GetValue<string>());
        Assert.DoesNotContain(_secretText, preview["html"]!.GetValue<string>());
        Assert.False(File.Exists(Marker), "template source was compiled");
        Assert.Empty((await app.Api.GetJsonAsync("/api/audit?action=template."))["items"]!.AsArray());

        // Source kept from a time when code editing was on is not used either.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>();
            db.EmailTemplates.Add(new Dispatcher.Mail.Templates.EmailTemplate { Name = "Alert", Source = Razor, UpdatedBy = "an older version" });
            await db.SaveChangesAsync();
        }
        await app.Services.GetRequiredService<Dispatcher.Mail.Templates.TemplateSource>().RefreshAsync(CancellationToken.None, now: true);
        Assert.Contains("Protest tonight", (await app.Api.GetJsonAsync($"/api/alerts/{alert.Int("id")}/preview"))["html"]!.GetValue<string>());
        Assert.False(File.Exists(Marker), "template source kept in the database was compiled");
    }
}

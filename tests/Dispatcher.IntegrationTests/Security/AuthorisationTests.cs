using System.Net;
using System.Net.Http.Json;
using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SmtpServer.Protocol;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>The admin pages apply the API's grants: organisers see the dispatches and lists they are granted, and only
/// admins see who is on a list or whom a dispatch failed for. Test sends cannot be turned into a mailer.</summary>
public sealed class AuthorisationTests : IAsyncLifetime
{
    private const string Password = "a long enough password 1";
    private TestSmtpServer _smtp = null!;
    private DispatcherApp _app = null!;
    private long _koreaDispatch;

    public async Task InitializeAsync()
    {
        _smtp = await TestSmtpServer.StartAsync();
        _smtp.RecipientReply = to => to == "refused@example.org" ? new SmtpResponse((SmtpReplyCode)550, "5.1.1 <refused@example.org>: User unknown") : null;
        _app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, _smtp, new Dictionary<string, string?> { ["Alerts:TestSendsPerHour"] = "2" });
        await _app.Api.CreateListAsync("korea", "Korea solidarity");
        await _app.Api.CreateListAsync("turkey", "Turkey solidarity");
        await _app.Api.SubscribeAsync("korea", "refused@example.org");
        await _app.Api.SubscribeAsync("korea", "reader@example.org");
        var (_, dispatch) = await _app.Api.PublishAsync(new { title = "Free Han Sang-gyun", lists = new[] { "korea" } });
        _koreaDispatch = dispatch!.Value;
        await _app.Api.WaitForDispatchAsync(_koreaDispatch);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private async Task<HttpClient> LoggedInAsync(string email, Role role, params string[] lists)
    {
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            var user = new User { Email = email, Role = role, Lists = [.. lists], PasswordHash = "", SecurityStamp = UserLogins.NewStamp(), CreatedAt = DateTime.UtcNow };
            user.PasswordHash = UserLogins.Hash(user, Password);
            db.Users.Add(user);
            await db.SaveChangesAsync();
        }
        var browser = _app.ClientWithKey(null);
        using var login = await browser.SubmitFormAsync("/admin/login", new Dictionary<string, string> { ["Email"] = email, ["Password"] = Password });
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return browser;
    }

    [Fact]
    public async Task Only_admins_see_whom_a_dispatch_failed_for()
    {
        using var admin = await LoggedInAsync("boss@example.org", Role.Admin);
        using var publisher = await LoggedInAsync("press@example.org", Role.Publisher);
        using var organiser = await LoggedInAsync("seoul@example.org", Role.Organiser, "korea");

        var (adminStatus, adminPage) = await admin.GetPageAsync($"/admin/dispatches/{_koreaDispatch}");
        Assert.Equal(HttpStatusCode.OK, adminStatus);
        Assert.Contains("refused@example.org", adminPage);
        foreach (var other in new[] { publisher, organiser })
        {
            var (status, page) = await other.GetPageAsync($"/admin/dispatches/{_koreaDispatch}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Contains("Free Han Sang-gyun", page);
            Assert.DoesNotContain("@example.org", page.Replace("seoul@example.org", "").Replace("press@example.org", ""));
        }
    }

    [Fact]
    public async Task An_organiser_sees_no_dispatch_of_a_list_they_are_not_granted_on_the_pages_or_the_api()
    {
        using var organiser = await LoggedInAsync("ankara@example.org", Role.Organiser, "turkey");
        var key = (await _app.Api.PostOkAsync("/api/keys", new { name = "ankara", role = "organiser", lists = new[] { "turkey" } }, HttpStatusCode.Created))["key"]!.GetValue<string>();
        using var api = _app.ClientWithKey(key);

        Assert.Equal(HttpStatusCode.NotFound, (await organiser.GetPageAsync($"/admin/dispatches/{_koreaDispatch}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await organiser.GetPageAsync($"/admin/dispatches/{_koreaDispatch}?handler=Progress")).Status);
        Assert.DoesNotContain("Free Han Sang-gyun", (await organiser.GetPageAsync("/admin/dispatches")).Html);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/api/dispatches/{_koreaDispatch}")).StatusCode);
        Assert.Empty((await api.GetJsonAsync("/api/dispatches"))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await _app.Api.GetAsync($"/api/dispatches/{_koreaDispatch}")).StatusCode); // an admin does
    }

    [Fact]
    public async Task An_organiser_sees_how_many_are_on_their_list_but_not_who()
    {
        using var organiser = await LoggedInAsync("korea-organiser@example.org", Role.Organiser, "korea");

        var (status, page) = await organiser.GetPageAsync("/admin/lists/korea?q=reader");
        var confirmed = (await _app.Api.GetJsonAsync("/api/lists/korea"))["subscribers"]!.Int("confirmed");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"{confirmed} confirmed", page);
        Assert.DoesNotContain("reader@example.org", page);
        Assert.DoesNotContain("refused@example.org", page);
        Assert.Equal(HttpStatusCode.Forbidden, (await organiser.GetPageAsync("/admin/lists/korea?handler=Export")).Status);
    }

    [Fact]
    public async Task Test_copies_to_other_addresses_are_limited_per_hour_and_to_your_own_address_are_not()
    {
        var alert = await _app.Api.PostOkAsync("/api/alerts", new { subject = "Protest tonight", bodyMarkdown = "At the embassy.", lists = new[] { "korea" } }, HttpStatusCode.Created);
        var id = alert.Int("id");
        var key = (await _app.Api.PostOkAsync("/api/keys", new { name = "seoul", role = "organiser", lists = new[] { "korea" } }, HttpStatusCode.Created))["key"]!.GetValue<string>();
        using var api = _app.ClientWithKey(key);

        var answers = new List<HttpStatusCode>();
        foreach (var to in new[] { "a@example.net", "b@example.net", "c@example.net" })
            answers.Add((await api.PostAsJsonAsync($"/api/alerts/{id}/test", new { email = to })).StatusCode);
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.TooManyRequests], answers);

        // A person logged in sends to their own address as often as they like.
        using var organiser = await LoggedInAsync("own@example.org", Role.Organiser, "korea");
        for (var i = 0; i < 3; i++)
        {
            using var sent = await organiser.SubmitFormAsync($"/admin/alerts/{id}", new Dictionary<string, string> { ["Email"] = "own@example.org" }, handler: "Test");
            Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        }
        await Eventually.UntilAsync(() => _smtp.To("own@example.org").Count == 3, TimeSpan.FromSeconds(30), "three test copies to their own address");
        Assert.Empty(_smtp.To("c@example.net"));
    }
}

using System.Net;
using Dispatcher.Data;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>The admin login against guessing: failures counted by the database however many arrive at once, one
/// answer for every failure, a limit per client address, and lockouts in the audit log.</summary>
public sealed class LoginTests
{
    private const string AdminEmail = "admin@example.org";
    private const string AdminPassword = "a long admin password 1";

    private static Task<DispatcherApp> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Dispatcher:Bootstrap:AdminEmail"] = AdminEmail,
            ["Dispatcher:Bootstrap:AdminPassword"] = AdminPassword,
            ["Logins:AttemptsPerMinutePerClient"] = "1000",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        return DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, all);
    }

    private static async Task<(HttpStatusCode Status, string? Error, string? Location)> LogInAsync(DispatcherApp app, string email, string password)
    {
        using var browser = app.ClientWithKey(null);
        using var response = await browser.SubmitFormAsync("/admin/login", new Dictionary<string, string> { ["Email"] = email, ["Password"] = password });
        var html = await response.Content.ReadAsStringAsync();
        var error = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector("[role=alert]")?.TextContent.Trim();
        return (response.StatusCode, error, response.Headers.Location?.OriginalString);
    }

    private static async Task<Dispatcher.Access.User> AdminAsync(DispatcherApp app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DispatcherDb>().Users.AsNoTracking().SingleAsync(u => u.Email == AdminEmail);
    }

    [Theory]
    [BothStacks]
    public async Task Thirty_wrong_passwords_at_once_lock_the_account_and_the_right_one_is_then_refused_like_any_other(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatcher:Bootstrap:AdminEmail"] = AdminEmail,
            ["Dispatcher:Bootstrap:AdminPassword"] = AdminPassword,
            ["Logins:AttemptsPerMinutePerClient"] = "1000",
        });

        var guesses = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => LogInAsync(app, AdminEmail, $"guess number {i}")));

        Assert.All(guesses, g => Assert.Equal(HttpStatusCode.BadRequest, g.Status));
        Assert.True((await AdminAsync(app)).LockedUntil > DateTime.UtcNow, "30 wrong passwords did not lock the account");
        var right = await LogInAsync(app, AdminEmail, AdminPassword);
        var unknown = await LogInAsync(app, "nobody@example.org", AdminPassword);
        var wrong = await LogInAsync(app, AdminEmail, "yet another guess");
        Assert.Equal(HttpStatusCode.BadRequest, right.Status);
        Assert.Null(right.Location);
        Assert.Equal(unknown, right); // locked, unknown and wrong: one answer
        Assert.Equal(wrong, right);
        var audit = await app.Api.GetJsonAsync("/api/audit?action=user.locked");
        Assert.NotEmpty(audit["items"]!.AsArray());
    }

    [Fact]
    public async Task The_threshold_and_lockout_come_from_the_settings_and_a_success_starts_the_count_again()
    {
        await using var app = await StartAsync(new Dictionary<string, string?> { ["Logins:MaxFailures"] = "3", ["Logins:LockoutDuration"] = "00:30:00" });

        await LogInAsync(app, AdminEmail, "wrong 1");
        await LogInAsync(app, AdminEmail, "wrong 2");
        Assert.Equal(HttpStatusCode.Redirect, (await LogInAsync(app, AdminEmail, AdminPassword)).Status);
        await LogInAsync(app, AdminEmail, "wrong 3");
        await LogInAsync(app, AdminEmail, "wrong 4");
        Assert.Null((await AdminAsync(app)).LockedUntil); // two since the success: not three
        await LogInAsync(app, AdminEmail, "wrong 5");

        var locked = (await AdminAsync(app)).LockedUntil;
        Assert.NotNull(locked);
        Assert.InRange(locked!.Value, DateTime.UtcNow.AddMinutes(29), DateTime.UtcNow.AddMinutes(31));
    }

    [Fact]
    public async Task Too_many_login_posts_from_one_address_are_refused_whatever_the_account()
    {
        await using var app = await StartAsync(new Dictionary<string, string?> { ["Logins:AttemptsPerMinutePerClient"] = "3" });

        var statuses = new List<HttpStatusCode>();
        foreach (var email in new[] { "a@example.org", "b@example.org", "c@example.org", AdminEmail })
            statuses.Add((await LogInAsync(app, email, email == AdminEmail ? AdminPassword : "guess")).Status);

        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests], statuses);
        Assert.Null((await AdminAsync(app)).LastLoginAt);
    }
}

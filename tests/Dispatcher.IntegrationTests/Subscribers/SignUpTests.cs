using System.Net;
using System.Net.Http.Json;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Subscribers;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Dispatcher.IntegrationTests.Subscribers;

/// <summary>The public sign-up form and double opt-in, over HTTP as a browser without JavaScript would use them.</summary>
public sealed class SignUpTests : IAsyncLifetime
{
    private TestSmtpServer _smtp = null!;
    private DispatcherApp _app = null!;

    public async Task InitializeAsync()
    {
        _smtp = await TestSmtpServer.StartAsync();
        _app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, _smtp, new Dictionary<string, string?> { ["Subscribers:SignUpsPerMinutePerClient"] = "100" });
        await _app.Api.PostOkAsync("/api/lists", new { name = "Statements", slug = "statements", description = "Statements of the network, as they are published." }, HttpStatusCode.Created);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    private async Task<HttpResponseMessage> SignUpAsync(HttpClient browser, string email, string cadence = "immediate", string? website = null,
        string? language = null, string? timeZone = null)
    {
        var fields = new Dictionary<string, string> { ["Email"] = email, ["Name"] = "Ana Souza", ["Cadence"] = cadence };
        if (website is not null) fields["Website"] = website;
        if (language is not null) fields["Language"] = language;
        if (timeZone is not null) fields["TimeZone"] = timeZone;
        return await browser.SubmitFormAsync("/subscribe/statements", fields);
    }

    private Task<ReceivedMail> MailToAsync(string email, string subjectStart, int count = 1) =>
        Eventually.UntilAsync(() => Task.FromResult(_smtp.To(email).Where(m => m.Subject.StartsWith(subjectStart)).ToList()),
            m => m.Count >= count, TimeSpan.FromSeconds(30), $"'{subjectStart}' to {email}").ContinueWith(t => t.Result.Last());

    [Fact]
    public async Task A_new_reader_keeps_the_language_and_zone_of_the_form_but_a_stranger_cannot_change_a_known_readers()
    {
        using var browser = _app.ClientWithKey(null);
        (await SignUpAsync(browser, "elif@example.org", language: "tr", timeZone: "Europe/Istanbul")).Dispose();
        (await SignUpAsync(browser, "elif@example.org", language: "de", timeZone: "Europe/Berlin")).Dispose(); // someone else, her address
        (await SignUpAsync(browser, "no.script@example.org", timeZone: "")).Dispose(); // no JavaScript: no zone from the browser

        var elif = await _app.Api.GetJsonAsync("/api/subscribers/elif@example.org");
        Assert.Equal("tr", elif["language"]!.GetValue<string>());
        Assert.Equal("Europe/Istanbul", elif["timeZone"]!.GetValue<string>());
        var noScript = await _app.Api.GetJsonAsync("/api/subscribers/no.script@example.org");
        Assert.Equal("en", noScript["language"]!.GetValue<string>()); // the first offered and the default here
        Assert.Null(noScript["timeZone"]?.GetValue<string>());
    }

    [Fact]
    public async Task A_list_that_asks_for_country_and_city_keeps_what_a_new_reader_gives()
    {
        using var patch = new HttpRequestMessage(HttpMethod.Patch, "/api/lists/statements")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { askFor = new[] { "Country", "city", "country" } }),
        };
        using var patched = await _app.Api.SendAsync(patch);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(["country", "city"], (await _app.Api.GetJsonAsync("/api/lists/statements"))["askFor"]!.AsArray().Select(n => n!.GetValue<string>()));
        using var browser = _app.ClientWithKey(null);
        var (_, form) = await browser.GetPageAsync("/subscribe/statements");
        Assert.Contains("<label for=\"attribute-country\">Country", form);

        using var posted = await browser.SubmitFormAsync("/subscribe/statements", new Dictionary<string, string>
        {
            ["Email"] = "minji@example.org", ["Attributes[country]"] = " KR ", ["Attributes[city]"] = "", ["Attributes[union]"] = "not asked for",
        });

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var minji = await _app.Api.GetJsonAsync("/api/subscribers/minji@example.org");
        Assert.Equal("{\"country\":\"KR\"}", minji["attributes"]!.ToJsonString()); // what was asked for and given, nothing else
    }

    [Fact]
    public async Task A_bad_name_to_ask_for_is_refused_naming_it()
    {
        using var response = await _app.Api.PostAsJsonAsync("/api/lists", new { name = "Korea", slug = "korea", askFor = new[] { "city", "home address!" } });
        var problem = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(problem["errors"]!["askFor[1]"]);
    }

    [Theory]
    [InlineData("ja")]          // a language, not one offered
    [InlineData("<script>")]
    public async Task A_language_not_offered_is_refused_naming_it(string language)
    {
        using var browser = _app.ClientWithKey(null);
        using var response = await SignUpAsync(browser, "someone@example.org", language: language);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Choose one of the languages offered.", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_sign_up_is_confirmed_by_email_and_gets_nothing_else_before()
    {
        using var browser = _app.ClientWithKey(null);
        using var posted = await SignUpAsync(browser, "Ana@Example.ORG");
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        var (status, thanks) = await browser.GetPageAsync(posted.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Check your inbox", thanks);

        var confirmation = await MailToAsync("Ana@example.org", "Confirm your subscription to Statements");
        Assert.Null(confirmation.Message.Headers[HeaderId.ListUnsubscribe]); // not bulk mail
        Assert.Null(confirmation.Message.Headers[HeaderId.Precedence]);
        Assert.Equal("Ana Souza", confirmation.Message.To.Mailboxes.Single().Name);
        Assert.Contains("Statements of the network", confirmation.Message.TextBody);

        // Until confirmed, nothing else.
        var (_, before) = await _app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        Assert.Null(before);

        // The link opens a page with a button; the GET confirms nobody (mail scanners follow every link).
        var link = Pages.LinkIn(confirmation.Message, "/confirm/");
        var (opened, question) = await browser.GetPageAsync(link);
        Assert.Equal(HttpStatusCode.OK, opened);
        Assert.Contains("Confirm your subscription to Statements", question);
        var unconfirmed = await _app.Api.GetJsonAsync("/api/subscribers/Ana@example.org");
        Assert.Equal("unconfirmed", unconfirmed["subscriptions"]![0]!["status"]!.GetValue<string>());

        var (confirmed, page) = await browser.ConfirmAsync(link);
        Assert.Equal(HttpStatusCode.OK, confirmed);
        Assert.Contains("You are subscribed to Statements", page);

        var (_, after) = await _app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan’s hands", lists = new[] { "statements" } });
        await _app.Api.WaitForDispatchAsync(after!.Value);
        Assert.Single(_smtp.To("Ana@example.org"), m => m.Subject.StartsWith("Ankara"));
        var audit = await _app.Api.GetJsonAsync("/api/audit?action=subscription");
        Assert.Contains(audit["items"]!.AsArray(), a => a!["action"]!.GetValue<string>() == "subscription.confirmed");
    }

    [Fact]
    public async Task Signing_up_again_shows_the_same_page_and_the_email_says_they_are_subscribed()
    {
        await _app.Api.SubscribeAsync("statements", "known@example.org", name: "Known", cadence: "weekly");
        using var browser = _app.ClientWithKey(null);

        using var known = await SignUpAsync(browser, "known@example.org", cadence: "immediate");
        using var stranger = await SignUpAsync(browser, "new.person@example.org");
        var (_, knownPage) = await browser.GetPageAsync(known.Headers.Location!.OriginalString);
        var (_, strangerPage) = await browser.GetPageAsync(stranger.Headers.Location!.OriginalString);

        Assert.Equal(strangerPage, knownPage); // the page never tells whether an address was known
        var notice = await MailToAsync("known@example.org", "You are already subscribed to Statements");
        Assert.Contains("/preferences/", notice.Message.HtmlBody);
        var person = await _app.Api.GetJsonAsync("/api/subscribers/known@example.org");
        Assert.Equal("weekly", person["subscriptions"]![0]!["cadence"]!.GetValue<string>()); // a stranger's form changed nothing
    }

    [Fact]
    public async Task Repeated_sign_ups_within_minutes_send_one_email()
    {
        using var browser = _app.ClientWithKey(null);
        for (var i = 0; i < 3; i++) (await SignUpAsync(browser, "eager@example.org")).Dispose();

        await MailToAsync("eager@example.org", "Confirm your subscription");
        var dispatches = await _app.Api.GetJsonAsync("/api/dispatches?kind=confirmation&status=completed");
        Assert.Single(_smtp.To("eager@example.org"));
        Assert.NotEmpty(dispatches["items"]!.AsArray());
    }

    [Fact]
    public async Task A_bot_filling_the_honeypot_gets_the_same_page_and_no_subscription()
    {
        using var browser = _app.ClientWithKey(null);
        using var posted = await SignUpAsync(browser, "bot@example.org", website: "http://spam.example");

        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Api.GetAsync("/api/subscribers/bot@example.org")).StatusCode);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_refused()
    {
        using var browser = _app.ClientWithKey(null);
        using var response = await browser.PostAsync("/subscribe/statements",
            new FormUrlEncodedContent([new("Email", "csrf@example.org"), new("Cadence", "immediate")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _app.Api.GetAsync("/api/subscribers/csrf@example.org")).StatusCode);
    }

    [Fact]
    public async Task A_bad_address_is_explained_on_the_form()
    {
        using var browser = _app.ClientWithKey(null);
        using var response = await SignUpAsync(browser, "not an address");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Please check the form", html);
        Assert.Contains("aria-invalid=\"true\"", html);
    }

    [Fact]
    public async Task A_private_or_unknown_list_has_no_sign_up_page()
    {
        await _app.Api.PostOkAsync("/api/lists", new { name = "Organisers", slug = "organisers", @public = false }, HttpStatusCode.Created);
        using var browser = _app.ClientWithKey(null);

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetPageAsync("/subscribe/organisers")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetPageAsync("/subscribe/nope")).Status);
    }

    [Fact]
    public async Task Expired_and_tampered_links_get_a_400_page_that_names_nobody()
    {
        await _app.Api.SubscribeAsync("statements", "late@example.org", confirmed: false);
        var confirmation = await MailToAsync("late@example.org", "Confirm your subscription");
        var valid = Pages.LinkIn(confirmation.Message, "/confirm/");
        var tokens = _app.Services.GetRequiredService<SubscriberTokens>();
        var token = tokens.TryRead(valid["/confirm/".Length..], TokenPurpose.Confirm, out var read) ? read!.Value : throw new InvalidOperationException();
        var expired = tokens.Create(TokenPurpose.Confirm, token.SubscriberId, token.ListId, DateTimeOffset.UtcNow.AddMinutes(-1));
        var tampered = valid[..^2] + (valid[^2] == 'A' ? "B" : "A") + valid[^1];
        using var browser = _app.ClientWithKey(null);

        foreach (var path in new[] { $"/confirm/{expired}", tampered, "/preferences/garbage", "/unsubscribe/" + new string('A', 44) })
        {
            var (status, html) = await browser.GetPageAsync(path);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("This link does not work", html);
            Assert.DoesNotContain("@", html);
            Assert.DoesNotContain("Statements", html);
        }
        var person = await _app.Api.GetJsonAsync("/api/subscribers/late@example.org");
        Assert.Equal("unconfirmed", person["subscriptions"]![0]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task One_click_unsubscribe_works_exactly_as_gmail_sends_it()
    {
        await _app.Api.SubscribeAsync("statements", "leaver@example.org");
        var (_, dispatchId) = await _app.Api.PublishAsync(new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" } });
        await _app.Api.WaitForDispatchAsync(dispatchId!.Value);
        var link = Statements.StatementFlowTests.UnsubscribeUrlOf(_smtp.To("leaver@example.org").Single());

        // RFC 8058: POST, application/x-www-form-urlencoded, body "List-Unsubscribe=One-Click", no cookies, no token.
        using var provider = _app.ClientWithKey(null);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(link).PathAndQuery)
        {
            Content = new StringContent("List-Unsubscribe=One-Click", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        using var response = await provider.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var person = await _app.Api.GetJsonAsync("/api/subscribers/leaver@example.org");
        Assert.Equal("unsubscribed", person["subscriptions"]![0]!["status"]!.GetValue<string>());
        // Twice is harmless.
        using var again = await provider.PostAsync(new Uri(link).PathAndQuery, new StringContent("List-Unsubscribe=One-Click", System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task The_preferences_page_changes_cadence_and_leaves_a_list()
    {
        await _app.Api.PostOkAsync("/api/lists", new { name = "Korea solidarity", slug = "korea" }, HttpStatusCode.Created);
        await _app.Api.SubscribeAsync("statements", "prefs@example.org");
        await _app.Api.SubscribeAsync("korea", "prefs@example.org");
        var (_, dispatchId) = await _app.Api.PublishAsync(new { title = "Stop the repression", lists = new[] { "statements" } });
        await _app.Api.WaitForDispatchAsync(dispatchId!.Value);
        var preferences = Pages.LinkIn(_smtp.To("prefs@example.org").Single().Message, "/preferences/");
        using var browser = _app.ClientWithKey(null);

        var (_, page) = await browser.GetPageAsync(preferences);
        Assert.Contains("Korea solidarity", page);
        // Lists are shown by name: Korea solidarity (0), Statements (1).
        using var saved = await browser.SubmitFormAsync(preferences, new Dictionary<string, string>
        {
            ["Choices[1].Cadence"] = "weekly",
            ["Choices[0].Subscribed"] = "false",
        });

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        var person = await _app.Api.GetJsonAsync("/api/subscribers/prefs@example.org");
        var subscriptions = person["subscriptions"]!.AsArray().ToDictionary(s => s!["list"]!.GetValue<string>());
        Assert.Equal("weekly", subscriptions["statements"]!["cadence"]!.GetValue<string>());
        Assert.Equal("confirmed", subscriptions["statements"]!["status"]!.GetValue<string>());
        Assert.Equal("unsubscribed", subscriptions["korea"]!["status"]!.GetValue<string>());

        // A language not offered or a zone that is not one changes nothing, and says why.
        foreach (var (field, value, why) in new[] { ("Language", "ja", "Choose one of the languages offered."), ("TimeZone", "Mars/Olympus", "Choose a time zone from the list.") })
        {
            using var refused = await browser.SubmitFormAsync(preferences, new Dictionary<string, string> { [field] = value, ["Choices[1].Cadence"] = "daily" });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains(why, await refused.Content.ReadAsStringAsync());
        }
        using var zoned = await browser.SubmitFormAsync(preferences, new Dictionary<string, string> { ["Language"] = "ar", ["TimeZone"] = "America/Sao_Paulo" });
        person = await _app.Api.GetJsonAsync("/api/subscribers/prefs@example.org");
        Assert.Equal("ar", person["language"]!.GetValue<string>());
        Assert.Equal("America/Sao_Paulo", person["timeZone"]!.GetValue<string>());
        Assert.Equal("weekly", person["subscriptions"]!.AsArray().Single(s => s!["list"]!.GetValue<string>() == "statements")!["cadence"]!.GetValue<string>());

        using var left = await browser.SubmitFormAsync(preferences, new Dictionary<string, string>(), form: 1);
        person = await _app.Api.GetJsonAsync("/api/subscribers/prefs@example.org");
        Assert.All(person["subscriptions"]!.AsArray(), s => Assert.Equal("unsubscribed", s!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Too_many_sign_ups_from_one_address_are_slowed_down()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, _smtp, new Dictionary<string, string?> { ["Subscribers:SignUpsPerMinutePerClient"] = "2" });
        await app.Api.CreateListAsync("statements");
        using var bot = app.ClientWithKey(null);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await bot.SubmitFormAsync("/subscribe/statements", new Dictionary<string, string> { ["Email"] = $"flood{i}@example.org" });
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, (await bot.GetPageAsync("/subscribe/statements")).Status); // reading the form is not limited
    }

    [Fact]
    public async Task Someone_who_left_a_single_opt_in_list_is_signed_up_again_only_when_they_confirm()
    {
        await _app.Api.PostOkAsync("/api/lists", new { name = "Open list", slug = "open", doubleOptIn = false }, HttpStatusCode.Created);
        using var browser = _app.ClientWithKey(null);
        (await browser.SubmitFormAsync("/subscribe/open", new Dictionary<string, string> { ["Email"] = "first@example.org" })).Dispose();
        Assert.Equal("confirmed", await StatusOnAsync("first@example.org", "open")); // single opt-in: a new address is in at once

        await _app.Api.SubscribeAsync("open", "leaver@example.org");
        var (_, dispatchId) = await _app.Api.PublishAsync(new { title = "Before they left", lists = new[] { "open" } });
        await _app.Api.WaitForDispatchAsync(dispatchId!.Value);
        using (await browser.PostAsync(new Uri(Statements.StatementFlowTests.UnsubscribeUrlOf(_smtp.To("leaver@example.org").Single())).PathAndQuery,
                   new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))) { }
        Assert.Equal("unsubscribed", await StatusOnAsync("leaver@example.org", "open"));

        // A stranger types their address in: they get a confirmation email, and nothing else until they confirm.
        (await browser.SubmitFormAsync("/subscribe/open", new Dictionary<string, string> { ["Email"] = "leaver@example.org" })).Dispose();
        var confirmation = await MailToAsync("leaver@example.org", "Confirm your subscription to Open list");
        Assert.Equal("unconfirmed", await StatusOnAsync("leaver@example.org", "open"));
        var (_, meanwhile) = await _app.Api.PublishAsync(new { title = "While they are away", lists = new[] { "open" } });
        await _app.Api.WaitForDispatchAsync(meanwhile!.Value);
        Assert.DoesNotContain(_smtp.To("leaver@example.org"), m => m.Subject == "While they are away");

        await browser.ConfirmAsync(Pages.LinkIn(confirmation.Message, "/confirm/"));
        Assert.Equal("confirmed", await StatusOnAsync("leaver@example.org", "open"));
    }

    [Fact]
    public async Task A_tampered_confirmation_link_confirms_nobody_when_posted_either()
    {
        await _app.Api.SubscribeAsync("statements", "posted@example.org", confirmed: false);
        var valid = Pages.LinkIn((await MailToAsync("posted@example.org", "Confirm your subscription")).Message, "/confirm/");
        var tampered = valid[..^2] + (valid[^2] == 'A' ? "B" : "A") + valid[^1];
        using var browser = _app.ClientWithKey(null);

        // The form of the real link, posted to the tampered one: a valid antiforgery token, a bad link.
        var (_, html) = await browser.GetPageAsync(valid);
        var token = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using var posted = await browser.PostAsync(tampered, new FormUrlEncodedContent([new("__RequestVerificationToken", token)]));

        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);
        Assert.Contains("This link does not work", await posted.Content.ReadAsStringAsync());
        Assert.Equal("unconfirmed", await StatusOnAsync("posted@example.org", "statements"));
    }

    private async Task<string> StatusOnAsync(string email, string list)
    {
        var person = await _app.Api.GetJsonAsync($"/api/subscribers/{email}");
        return person["subscriptions"]!.AsArray().Single(s => s!["list"]!.GetValue<string>() == list)!["status"]!.GetValue<string>();
    }
}

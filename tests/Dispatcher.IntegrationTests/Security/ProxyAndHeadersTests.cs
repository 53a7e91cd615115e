using System.Net;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>Behind a TLS-terminating proxy: forwarded headers are believed from Dispatcher:TrustedProxies only, so cookies
/// are Secure and HSTS is sent for https clients, and rate limits see each client; every page carries the headers that
/// stop framing, sniffing and leaking its address.</summary>
public sealed class ProxyAndHeadersTests
{
    private static Task<DispatcherApp> StartAsync(string trustedProxy, string signUpsPerMinute = "100") =>
        DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatcher:TrustedProxies:0"] = trustedProxy,
            ["Subscribers:SignUpsPerMinutePerClient"] = signUpsPerMinute,
        }, kestrel: true); // a real socket, so the connection has a remote address

    /// <summary>A browser on the real socket: its own cookies, and redirects shown rather than followed.</summary>
    private static HttpClient Browser(DispatcherApp app) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = app.ServerAddress };

    private static async Task<HttpResponseMessage> ThroughProxyAsync(DispatcherApp app, string path, string proto = "https", string client = "203.0.113.7")
    {
        using var http = Browser(app);
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Host = "news.example.org"; // what the proxy passes on (HSTS is never sent for localhost)
        request.Headers.Add("X-Forwarded-Proto", proto);
        request.Headers.Add("X-Forwarded-For", client);
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task From_a_trusted_proxy_an_https_client_gets_secure_cookies_and_hsts()
    {
        await using var app = await StartAsync("127.0.0.1");

        using var response = await ThroughProxyAsync(app, "/admin/login");

        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.Contains("; secure", StringComparison.OrdinalIgnoreCase));
        Assert.StartsWith("max-age=31536000", response.Headers.GetValues("Strict-Transport-Security").Single());
    }

    [Fact]
    public async Task From_any_other_address_the_forwarded_headers_are_ignored()
    {
        await using var app = await StartAsync("10.9.9.9"); // the tests connect from 127.0.0.1: not a trusted proxy

        using var response = await ThroughProxyAsync(app, "/admin/login");

        Assert.DoesNotContain(response.Headers.GetValues("Set-Cookie"), c => c.Contains("; secure", StringComparison.OrdinalIgnoreCase));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Theory]
    [InlineData("127.0.0.1", HttpStatusCode.Redirect)]   // trusted: two people behind the proxy, a bucket each
    [InlineData("10.9.9.9", HttpStatusCode.TooManyRequests)] // untrusted: X-Forwarded-For is anyone's to write, so not believed
    public async Task The_sign_up_limit_counts_the_client_the_trusted_proxy_names(string trustedProxy, HttpStatusCode second)
    {
        await using var app = await StartAsync(trustedProxy, signUpsPerMinute: "1");
        await app.Api.CreateListAsync("statements");

        async Task<HttpStatusCode> SignUpAsync(string client, string email)
        {
            using var http = Browser(app);
            http.DefaultRequestHeaders.Add("X-Forwarded-For", client);
            using var response = await http.SubmitFormAsync("/subscribe/statements", new Dictionary<string, string> { ["Email"] = email });
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Redirect, await SignUpAsync("203.0.113.1", "one@example.org"));
        Assert.Equal(second, await SignUpAsync("203.0.113.2", "two@example.org"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await SignUpAsync("203.0.113.1", "three@example.org"));
    }

    [Theory]
    [InlineData("/admin/login")]
    [InlineData("/subscribe/nope")]          // 404 page
    [InlineData("/confirm/not-a-token")]     // 400 page
    [InlineData("/api/lists")]               // 401 problem
    [InlineData("/public.css")]              // a static file
    public async Task Every_answer_carries_the_security_headers(string path)
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        using var anonymous = app.ClientWithKey(null);

        using var response = await anonymous.GetAsync(path);

        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("script-src 'self';", csp); // the app's own files, and no inline script
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("camera=()", response.Headers.GetValues("Permissions-Policy").Single());
    }

    [Fact]
    public async Task With_an_https_public_address_the_login_cookie_is_secure_even_when_the_last_hop_is_plain_http()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatcher:Bootstrap:AdminEmail"] = "admin@example.org",
            ["Dispatcher:Bootstrap:AdminPassword"] = "a long admin password 1",
        }); // PublicBaseUrl https://dispatch.example.org
        using var plain = new HttpClient(app.Server.CreateHandler()) { BaseAddress = new Uri("http://localhost") }; // no cookie handling in between

        using var form = await plain.GetAsync("/admin/login");
        Assert.Equal(HttpStatusCode.OK, form.StatusCode); // plain http still gets the form
        var antiforgery = form.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        var token = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await form.Content.ReadAsStringAsync())
            .QuerySelector("input[name=__RequestVerificationToken]")!.GetAttribute("value")!;
        using var post = new HttpRequestMessage(HttpMethod.Post, "/admin/login")
        {
            Content = new FormUrlEncodedContent([new("__RequestVerificationToken", token), new("Email", "admin@example.org"), new("Password", "a long admin password 1")]),
        };
        post.Headers.Add("Cookie", antiforgery);
        using var login = await plain.SendAsync(post);

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.StartsWith("dispatcher.admin=") && c.Contains("; secure", StringComparison.OrdinalIgnoreCase));
    }
}

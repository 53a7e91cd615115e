using System.Net;
using System.Net.Http.Json;
using Dispatcher.Hosting;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>A feed's URL is typed by a user, so the server's fetch of it must not reach the server's neighbours:
/// nothing on loopback or private networks sees a request, redirects are checked again, and what a service answered
/// never comes back in an error.</summary>
public sealed class ServerSideFetchTests
{
    private static async Task<DispatcherApp> StartAsync(bool allowPrivate = false)
    {
        var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Feeds:TimeoutSeconds"] = "3",
            ["Feeds:CheckInterval"] = "01:00:00", // polled by hand
            ["Feeds:AllowPrivateNetworks"] = allowPrivate ? "true" : null,
        });
        await app.Api.CreateListAsync("statements");
        return app;
    }

    private static async Task<(HttpStatusCode Status, string Body)> PollAsync(DispatcherApp app, string url)
    {
        var feed = await app.Api.PostOkAsync("/api/feeds", new { url, lists = new[] { "statements" } }, HttpStatusCode.Created);
        using var poll = await app.Api.PostAsJsonAsync($"/api/feeds/{feed.Int("id")}/poll", new { });
        return (poll.StatusCode, await poll.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task A_feed_on_loopback_is_refused_by_default_and_the_service_there_sees_no_request(string host)
    {
        await using var service = await TestWebServer.StartAsync(http => http.Response.WriteAsync("<rss version=\"2.0\"><channel/></rss>"));
        await using var app = await StartAsync();

        var (status, body) = await PollAsync(app, $"http://{host}:{service.Address.Port}/feed.xml");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Contains("local or private network", body);
        Assert.Equal(0, service.Requests);
    }

    [Fact]
    public async Task A_redirect_to_a_refused_address_is_not_followed()
    {
        // Two servers on loopback: the policy lets the first (127.0.0.1) through, as if it were on the Internet, and
        // not the second (127.0.0.2), which the first redirects to.
        await using var inside = await TestWebServer.StartAsync(http => http.Response.WriteAsync("secret"), "127.0.0.2");
        await using var outside = await TestWebServer.StartAsync(http =>
        {
            http.Response.Redirect(inside.Url("/latest/meta-data/"));
            return Task.CompletedTask;
        });
        using var client = new HttpClient(PublicNetworks.Handler(address => address.Equals(IPAddress.Loopback)));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(outside.Url("/feed.xml")));

        Assert.IsType<PrivateAddressException>(refused.InnerException);
        Assert.Equal(1, outside.Requests);
        Assert.Equal(0, inside.Requests);
        Assert.Equal("its address is in a local or private network, which is not allowed", PublicNetworks.Describe(refused));
    }

    [Fact]
    public async Task Redirects_are_followed_five_times_at_most()
    {
        await using var loop = await TestWebServer.StartAsync(http =>
        {
            http.Response.Redirect($"/hop{int.Parse(http.Request.Path.Value!["/hop".Length..]) + 1}");
            return Task.CompletedTask;
        });
        await using var app = await StartAsync(allowPrivate: true);

        var (status, body) = await PollAsync(app, loop.Url("/hop0"));

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Contains("redirects more than 5 times", body);
        Assert.Equal(6, loop.Requests); // the first request and five redirects
    }

    [Fact]
    public async Task What_another_service_answers_never_comes_back_in_the_error()
    {
        using var ssh = new BannerService("SSH-2.0-OpenSSH_9.2p1 secret-banner-4711\r\n");
        await using var xml = await TestWebServer.StartAsync(http =>
            http.Response.WriteAsync("<rss version=\"2.0\"><channel><item><title>secret-xml-4711</wrong></item></channel></rss>"));
        await using var error = await TestWebServer.StartAsync(http =>
        {
            http.Response.StatusCode = 500;
            http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>()!.ReasonPhrase = "secret-reason-4711";
            return http.Response.WriteAsync("secret-body-4711");
        });
        await using var app = await StartAsync(allowPrivate: true); // an intranet feed: reachable, and still answers generically

        var answers = new[]
        {
            await PollAsync(app, $"http://127.0.0.1:{ssh.Port}/"),
            await PollAsync(app, xml.Url("/feed.xml")),
            await PollAsync(app, error.Url("/feed.xml")),
        };

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.BadGateway, a.Status));
        Assert.All(answers, a => Assert.DoesNotContain("4711", a.Body));
        Assert.All(answers, a => Assert.DoesNotContain("SSH", a.Body));
        Assert.Contains("did not answer with HTTP", answers[0].Body);
        Assert.Contains("not valid RSS or Atom (at line 1", answers[1].Body);
        Assert.Contains("answered HTTP 500", answers[2].Body);
        var feeds = await app.Api.GetStringAsync("/api/feeds");
        Assert.DoesNotContain("4711", feeds); // nor in what is kept on the feed
        Assert.True(ssh.Connections > 0);
    }
}

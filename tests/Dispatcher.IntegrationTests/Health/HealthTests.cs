using System.Net;
using System.Net.Sockets;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Mail;
using Dispatcher.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Health;

public sealed class HealthTests
{
    [Theory]
    [BothStacks]
    public async Task Health_is_200_when_database_bus_and_relay_answer(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        using var anonymous = app.ClientWithKey(null);

        var health = await Eventually.UntilAsync(
            async () => (await anonymous.GetAsync("/health"), 0).Item1,
            r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "the bus to be ready");
        Assert.Equal("{\"status\":\"healthy\"}", await health.Content.ReadAsStringAsync()); // anyone: the status alone
        var body = await app.Api.GetStringAsync("/health"); // an admin key: each part

        Assert.Contains("\"database\":{\"status\":\"healthy\"", body);
        Assert.Contains("\"bus\":{\"status\":\"healthy\"", body);
        Assert.Contains("\"relay\":{\"status\":\"healthy\"", body);
    }

    [Fact]
    public async Task Health_says_warming_up_until_the_templates_are_compiled_and_the_alert_lane_is_open()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        // A relay 3 s away: the alert lane's connections take ~10 s to open (connect, greeting, EHLO) — long enough that the
        // first request, however busy the machine is starting the test server, comes before they are open.
        await using var network = LatencyProxy.Start(smtp.Port, TimeSpan.FromSeconds(3));
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1", ["Smtp:Port"] = network.Port.ToString(), ["Smtp:Security"] = "None",
        });

        var first = await app.Api.GetAnswerAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Contains("warming up", first.Body);
        Assert.DoesNotContain("\"bus\"", first.Body); // not asked yet: still starting, it would log an error at every poll

        await Eventually.UntilAsync(async () => (await app.Api.GetAnswerAsync("/health")).StatusCode, s => s == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the process to be ready");
        // Ready means the first alert finds its connections open.
        Assert.True(app.Services.GetRequiredService<RelayConnections>().Live >= 2);
    }

    [Fact]
    public async Task Health_is_503_naming_the_relay_when_it_does_not_answer()
    {
        // A port nobody listens on: bind one, note it, close it.
        var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var deadPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null,
            new Dictionary<string, string?> { ["Smtp:Host"] = "127.0.0.1", ["Smtp:Port"] = deadPort.ToString(), ["Smtp:TimeoutSeconds"] = "2" });
        using var anonymous = app.ClientWithKey(null);

        using var response = await anonymous.GetAsync("/health");
        var body = await response.Content.ReadAsStringAsync();
        using var detailed = await app.Api.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("{\"status\":\"unhealthy\"}", body); // no relay address, no error text for anyone who asks
        Assert.Equal(HttpStatusCode.ServiceUnavailable, detailed.StatusCode);
        var details = await detailed.Content.ReadAsStringAsync();
        Assert.Contains("relay", Failing(details)); // and "warm-up" while the alert lane cannot open
        Assert.Contains($"127.0.0.1:{deadPort}", details);
    }

    [Fact]
    public async Task Health_is_503_when_the_relay_accepts_the_connection_but_never_greets()
    {
        // Connects, then silence: the blocking greeting read must give up after Smtp:TimeoutSeconds, not hang the check.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null,
            new Dictionary<string, string?> { ["Smtp:Host"] = "127.0.0.1", ["Smtp:Port"] = port.ToString(), ["Smtp:TimeoutSeconds"] = "2" });
        using var anonymous = app.ClientWithKey(null);
        anonymous.Timeout = TimeSpan.FromSeconds(30);

        using var response = await anonymous.GetAsync("/health");
        using var detailed = await app.Api.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("relay", Failing(await detailed.Content.ReadAsStringAsync()));
    }

    private static IEnumerable<string> Failing(string health) =>
        System.Text.Json.Nodes.JsonNode.Parse(health)!["failing"]!.AsArray().Select(n => n!.GetValue<string>());
}

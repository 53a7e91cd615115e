using System.Net;
using System.Net.Http.Headers;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>/health tells anyone whether Dispatcher is up and an admin what is down (HealthTests); /metrics tells whom
/// the operator chose: holders of a token, or whoever reaches a port of its own.</summary>
public sealed class MonitoringAccessTests
{
    [Fact]
    public async Task With_a_bearer_token_metrics_need_it()
    {
        const string token = "scraper-token-0123456789";
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?> { ["Metrics:BearerToken"] = token });
        using var anonymous = app.ClientWithKey(null);
        using var wrong = app.ClientWithKey(null);
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DispatcherApp.AdminKey); // an API key is not the token
        using var scraper = app.ClientWithKey(null);
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/metrics")).StatusCode);
        using var scraped = await scraper.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scraped.StatusCode);
        Assert.Contains("dispatcher_", await scraped.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task With_a_port_of_their_own_metrics_are_served_there_and_only_there()
    {
        var port = FreePort.Next();
        await using var app = await AppProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Dispatcher"] = $"Data Source={Directory.CreateTempSubdirectory("dispatcher-metrics-").FullName}/dispatcher.db",
            ["Metrics:Port"] = port.ToString(),
        });
        using var site = new HttpClient { BaseAddress = app.Address };
        using var metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        Assert.Equal(HttpStatusCode.NotFound, (await site.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await metrics.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/admin/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await site.GetAsync("/admin/login")).StatusCode);
    }
}

using System.Net;
using System.Text;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>Pause, resume and cancel, with counts that always match what the relay received.</summary>
public sealed class DispatchControlTests(ITestOutputHelper output)
{
    /// <summary>What the rows say, by status and the relay's answer, and who the relay took: written to the test's output
    /// so that a count that does not match can be read from the CI log.</summary>
    private async Task DescribeAsync(DispatcherApp app, long dispatchId, TestSmtpServer smtp)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>().Deliveries.AsNoTracking()
            .Where(d => d.DispatchId == dispatchId)
            .GroupBy(d => new { d.Status, d.RelayResponse, d.Attempts }).Select(g => new { g.Key.Status, g.Key.RelayResponse, g.Key.Attempts, Count = g.Count() })
            .ToListAsync();
        foreach (var row in rows.OrderByDescending(r => r.Count))
            output.WriteLine($"{row.Count} × {row.Status}, attempts {row.Attempts}: {row.RelayResponse}");
        output.WriteLine($"the relay took {smtp.Received.Count} ({smtp.Received.Select(m => m.To).Distinct().Count()} people); " +
                         $"it was asked {smtp.Attempts.Count} times");
    }

    private static async Task ImportAsync(HttpClient api, string list, int count, string prefix)
    {
        var csv = new StringBuilder("email\n");
        for (var i = 0; i < count; i++) csv.Append($"{prefix}{i}@example.org\n");
        using var content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv");
        using var response = await api.PostAsync($"/api/lists/{list}/import", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [BothStacks]
    public async Task Pause_stops_sending_and_resume_finishes_with_everyone_exactly_once(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(5); // a relay slow enough to pause mid-way
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("statements");
        await ImportAsync(app.Api, "statements", 1500, "reader");
        var (_, id) = await app.Api.PublishAsync(new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" } });

        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n >= 100, TimeSpan.FromSeconds(60), "sending to start");
        await app.Api.PostOkAsync($"/api/dispatches/{id}/pause", new { }, HttpStatusCode.Accepted);
        var paused = await Eventually.UntilAsync(() => app.Api.GetJsonAsync($"/api/dispatches/{id}"),
            d => d["status"]!.GetValue<string>() == "paused" && d.Int("inFlight") == 0, TimeSpan.FromSeconds(10), "in-flight sends to finish");

        var sentWhilePaused = paused.Int("sent");
        Assert.InRange(sentWhilePaused, 100, 1499);
        Assert.Equal(sentWhilePaused, smtp.Received.Count); // what the relay took is exactly what the rows say
        Assert.Equal(1500, paused.Int("sent") + paused.Int("pending"));
        Assert.Equal(HttpStatusCode.Conflict, (await app.Api.PostAsync($"/api/dispatches/{id}/pause", null)).StatusCode);

        await app.Api.PostOkAsync($"/api/dispatches/{id}/resume", new { }, HttpStatusCode.Accepted);
        var done = await app.Api.WaitForDispatchAsync(id!.Value);

        Assert.Equal(1500, done.Int("sent"));
        Assert.Equal(1500, smtp.Received.Count);
        Assert.Equal(1500, smtp.Received.Select(m => m.To).Distinct().Count());
        var audit = (await app.Api.GetJsonAsync("/api/audit?action=dispatch")).ToJsonString();
        Assert.Contains("dispatch.paused", audit);
        Assert.Contains("dispatch.resumed", audit);
    }

    [Theory]
    [BothStacks]
    public async Task Cancel_skips_the_rest_and_the_counts_add_up(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(5);
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("statements");
        await ImportAsync(app.Api, "statements", 1500, "reader");
        var (_, id) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });

        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n >= 100, TimeSpan.FromSeconds(60), "sending to start");
        await app.Api.PostOkAsync($"/api/dispatches/{id}/cancel", new { }, HttpStatusCode.Accepted);
        var cancelled = await Eventually.UntilAsync(() => app.Api.GetJsonAsync($"/api/dispatches/{id}"),
            d => d.Int("inFlight") == 0, TimeSpan.FromSeconds(10), "in-flight sends to finish");

        await DescribeAsync(app, id!.Value, smtp);
        Assert.Equal("cancelled", cancelled["status"]!.GetValue<string>());
        Assert.NotNull(cancelled["finishedAt"]);
        Assert.Equal(0, cancelled.Int("pending"));
        Assert.Equal(1500, cancelled.Int("sent") + cancelled.Int("skipped"));
        Assert.True(cancelled.Int("skipped") > 0);
        Assert.Equal(cancelled.Int("sent"), smtp.Received.Count);
        Assert.Equal(HttpStatusCode.Conflict, (await app.Api.PostAsync($"/api/dispatches/{id}/resume", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await app.Api.PostAsync($"/api/dispatches/{id}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Progress_streams_as_server_sent_events_until_the_dispatch_completes()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp);
        await app.Api.CreateListAsync("statements");
        await ImportAsync(app.Api, "statements", 50, "reader");
        var (_, id) = await app.Api.PublishAsync(new { title = "Solidarity", lists = new[] { "statements" } });

        using var response = await app.Api.GetAsync($"/api/dispatches/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("data: ")) events.Add(line["data: ".Length..]);

        Assert.NotEmpty(events);
        Assert.Contains("\"status\":\"completed\"", events[^1]);
        Assert.Contains("\"sent\":50", events[^1]);
    }

    [Theory]
    [InlineData(Stack.InMemorySqlite)]
    [InlineData(Stack.RabbitMqPostgres)] // who sees what is one query built from each sending feature's part: both databases
    public async Task Only_admins_and_granted_organisers_see_and_control_a_dispatch(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("statements");
        await app.Api.CreateListAsync("korea");
        await app.Api.SubscribeAsync("statements", "a@example.org");
        var (_, id) = await app.Api.PublishAsync(new { title = "Solidarity", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(id!.Value);
        using var publisher = app.ClientWithKey((await app.Api.PostOkAsync("/api/keys", new { name = "site", role = "publisher" }, HttpStatusCode.Created))["key"]!.GetValue<string>());
        using var korea = app.ClientWithKey((await app.Api.PostOkAsync("/api/keys", new { name = "k", role = "organiser", lists = new[] { "korea" } }, HttpStatusCode.Created))["key"]!.GetValue<string>());

        using var granted = app.ClientWithKey((await app.Api.PostOkAsync("/api/keys", new { name = "s", role = "organiser", lists = new[] { "statements", "korea" } }, HttpStatusCode.Created))["key"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Forbidden, (await publisher.PostAsync($"/api/dispatches/{id}/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await korea.PostAsync($"/api/dispatches/{id}/cancel", null)).StatusCode);
        Assert.Empty((await korea.GetJsonAsync("/api/dispatches"))["items"]!.AsArray());
        Assert.Equal(id.Value, Assert.Single((await granted.GetJsonAsync("/api/dispatches"))["items"]!.AsArray())!["id"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.Conflict, (await granted.PostAsync($"/api/dispatches/{id}/pause", null)).StatusCode); // theirs, but completed
        Assert.Equal(HttpStatusCode.Conflict, (await app.Api.PostAsync($"/api/dispatches/{id}/pause", null)).StatusCode); // completed
        Assert.Equal(HttpStatusCode.NotFound, (await app.Api.PostAsync("/api/dispatches/999999/pause", null)).StatusCode);
    }
}

using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Hosting;

/// <summary>Scaled out: a Web process takes the API calls, Worker processes plan and send, all on one RabbitMQ
/// broker and one PostgreSQL database (what docker-compose.yml runs).</summary>
public sealed class RoleTests
{
    [Fact]
    public async Task A_statement_posted_to_a_web_process_is_sent_by_a_worker_process()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var worker = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?> { ["Dispatcher:Role"] = "Worker" });
        await using var web = await worker.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:Role"] = "Web" });
        await web.Api.CreateListAsync("statements");
        await web.Api.SubscribeAsync("statements", "ana@example.org");
        await web.Api.SubscribeAsync("statements", "ben@example.org");

        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId!.Value);

        Assert.Equal(2, dispatch.Int("sent"));
        Assert.Equal(["ana@example.org", "ben@example.org"], smtp.Received.Select(m => m.To).Order());
        using var anonymous = worker.ClientWithKey(null);
        Assert.True((await anonymous.GetAsync("/health")).IsSuccessStatusCode); // a Worker answers /health too

        // The work queues are durable quorum queues: they survive a broker restart.
        var queues = await TestServices.RabbitMqCtlAsync("list_queues", "-q", "-p", worker.Settings["RabbitMq:VirtualHost"]!, "name", "type", "durable");
        foreach (var queue in new[] { "plan-statements", "send-bulk", "send-urgent" })
            Assert.Matches($@"(?m)^{queue}\s+quorum\s+true\s*$", queues);
    }

    [Fact]
    public async Task A_statement_accepted_while_no_worker_runs_goes_out_when_one_starts()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Web",
            ["Dispatching:PlanGrace"] = "00:00:01",
        });
        await web.Api.CreateListAsync("statements");
        await web.Api.SubscribeAsync("statements", "ana@example.org");

        // Nobody consumes yet: the event goes nowhere, but the queued dispatch row is in the database.
        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan’s hands", lists = new[] { "statements" } });
        Assert.Equal("queued", (await web.Api.GetJsonAsync($"/api/dispatches/{dispatchId}"))["status"]!.GetValue<string>());

        await using var worker = await web.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:Role"] = "Worker" });
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId!.Value);

        Assert.Equal(1, dispatch.Int("sent"));
        Assert.Single(smtp.To("ana@example.org"));
    }
}

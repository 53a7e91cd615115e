using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>Workers on one RabbitMQ broker and one PostgreSQL database share a dispatch: nobody is sent it twice, and a
/// worker started while it is going out takes part. Each worker sends through its own SMTP server, so the servers
/// show who sent what.</summary>
public sealed class ScaleOutTests
{
    [Fact]
    public async Task Two_workers_send_a_5000_person_dispatch_exactly_once_and_one_added_midway_takes_part()
    {
        await using var relayOfFirst = await TestSmtpServer.StartAsync();
        await using var relayOfSecond = await TestSmtpServer.StartAsync();
        // Slow relays, so the first worker is still busy when the second arrives.
        relayOfFirst.Delay = relayOfSecond.Delay = TimeSpan.FromMilliseconds(4);

        await using var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, relayOfFirst, new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Web",
            // Fifty batches, not ten: enough left in the queue, past the first worker's prefetch, when the second arrives.
            ["Dispatching:BatchSize"] = "100",
        });
        await using var first = await web.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:Role"] = "Worker" });

        var people = await web.Api.CreateListWithReadersAsync("statements", 5000);

        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => relayOfFirst.Received.Count >= 300, TimeSpan.FromSeconds(60), "the first worker to be under way");

        await using var second = await web.StartSiblingAsync(new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Worker",
            ["Smtp:Port"] = relayOfSecond.Port.ToString(),
        });
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(180));

        var received = relayOfFirst.Received.Concat(relayOfSecond.Received).Select(m => m.To).ToList();
        Assert.Equal(5000, dispatch.Int("sent"));
        Assert.Equal(5000, received.Count);                       // nobody twice
        Assert.Equal(people.Order(), received.Order());           // everybody once
        Assert.True(relayOfSecond.Received.Count > 0, "the worker started midway sent nothing");
        Assert.True(relayOfFirst.Received.Count > 300);
    }
}

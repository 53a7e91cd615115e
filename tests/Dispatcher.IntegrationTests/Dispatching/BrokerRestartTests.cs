using System.Net;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>The RabbitMQ node stops and starts for real. Quorum queues keep their messages, consumers reconnect, and
/// what the API accepted while the broker was away is in the database, so it goes out once the broker is back.</summary>
[Collection(nameof(BrokerRestarts))]
public sealed class BrokerRestartTests
{
    [Fact]
    public async Task A_dispatch_under_way_completes_when_the_broker_restarts_and_nobody_gets_it_twice()
    {
        const int people = 3_000;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(2);
        await using var app = await StartAsync(smtp, people);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => smtp.Received.Count >= 500, TimeSpan.FromSeconds(60), "the dispatch to be under way");

        try
        {
            await TestServices.StopRabbitMqAsync();
        }
        finally
        {
            await TestServices.StartRabbitMqAsync();
        }

        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(180));
        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(people, smtp.Received.Count);                                // nobody twice
        Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count()); // everybody
    }

    [Fact]
    public async Task A_statement_accepted_while_the_broker_is_down_goes_out_when_it_is_back()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await StartAsync(smtp, people: 3);
        using var anonymous = app.ClientWithKey(null);
        await Eventually.UntilAsync(async () => (await anonymous.GetAsync("/health")).StatusCode, s => s == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "the bus to be connected");

        (long Id, long? DispatchId) accepted;
        try
        {
            await TestServices.StopRabbitMqAsync();

            // Health says which part is down (to an admin).
            var health = await Eventually.UntilAsync(() => app.Api.GetAnswerAsync("/health"),
                r => r.StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), "health to notice the broker is down");
            Assert.Contains("\"failing\":[\"bus\"]", health.Body);

            // The API still accepts the statement: it is in the database before anything is published.
            accepted = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });
            Assert.Empty(smtp.Received);
        }
        finally
        {
            await TestServices.StartRabbitMqAsync();
        }

        var dispatch = await app.Api.WaitForDispatchAsync(accepted.DispatchId!.Value, timeout: TimeSpan.FromSeconds(120));
        Assert.Equal(3, dispatch.Int("sent"));
        Assert.Equal(3, smtp.Received.Count);
        Assert.All(smtp.Received, m => Assert.Equal("Ankara bomb attacks: Blood on Erdoğan's hands", m.Message.Subject));
    }

    private static async Task<DispatcherApp> StartAsync(TestSmtpServer smtp, int people)
    {
        var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:PlanGrace"] = "00:00:02",
            ["Dispatching:StallAfter"] = "00:00:05",
        });
        await app.Api.CreateListWithReadersAsync("statements", people);
        return app;
    }
}

using System.Net;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>An alert asked for while the broker is away waits for a second organiser: the request to email them
    /// could not be published, and is asked for again once the broker is back.</summary>
    [Fact]
    public async Task The_second_organiser_is_emailed_when_the_broker_returns_though_the_request_was_made_while_it_was_away()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await StartAsync(smtp, people: 0);
        await app.Api.PostOkAsync("/api/lists", new { name = "Turkey solidarity", slug = "turkey", requireApproval = true, doubleOptIn = false }, HttpStatusCode.Created);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>();
            db.Users.Add(new Dispatcher.Access.User
            {
                Email = "second@example.org", Role = Dispatcher.Access.Role.Organiser, Lists = ["turkey"], PasswordHash = "x", SecurityStamp = "s",
                CreatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }
        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Ankara: vigil tonight", bodyMarkdown = "At 19:00.", lists = new[] { "turkey" } },
            HttpStatusCode.Created);
        var id = alert["id"]!.GetValue<long>();

        try
        {
            await TestServices.StopRabbitMqAsync();
            var sent = await app.Api.PostOkAsync($"/api/alerts/{id}/send", new { }, HttpStatusCode.Accepted);
            Assert.Equal("pendingApproval", sent["status"]!.GetValue<string>());
        }
        finally
        {
            await TestServices.StartRabbitMqAsync();
        }

        await Eventually.UntilAsync(() => Task.FromResult(smtp.To("second@example.org").Count), n => n >= 1, TimeSpan.FromSeconds(120),
            "the approval request once the broker is back");
        Assert.Equal("Waiting for your approval: Ankara: vigil tonight", smtp.To("second@example.org").Single().Message.Subject);
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

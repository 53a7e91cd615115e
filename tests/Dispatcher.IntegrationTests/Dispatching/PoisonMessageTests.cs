using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Messages;
using Dispatcher.Statements;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>A message whose consumer always throws is retried a few times, then parked in the error queue with its
/// reason, shown at /api/errors — and the queue behind it keeps flowing.</summary>
public sealed class PoisonMessageTests
{
    [Theory, BothStacks]
    public async Task A_message_that_always_fails_goes_to_the_error_queue_and_the_rest_flow(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?>
        {
            // Only the bus may pick the poisoned dispatch up here; the sweeper's own attempt is tested below.
            ["Dispatching:PlanGrace"] = "01:00:00",
        });
        await app.Api.CreateListAsync("statements");
        foreach (var email in new[] { "ana@example.org", "ben@example.org", "chloe@example.org" })
            await app.Api.SubscribeAsync("statements", email);

        // A dispatch no version of the planner knows how to plan: the consumer throws on every delivery of the message.
        long poisoned;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            var dispatch = Dispatch.Queued((DispatchKind)99, DateTime.UtcNow);
            db.Dispatches.Add(dispatch);
            await db.SaveChangesAsync();
            poisoned = dispatch.Id;
            await scope.ServiceProvider.GetRequiredService<IBus>().Publish(new StatementPublished(0, poisoned));
        }

        var error = (await Eventually.UntilAsync(async () =>
                (await app.Api.GetJsonAsync("/api/errors"))["items"]!.AsArray()
                    .FirstOrDefault(e => e!["payload"]!.GetValue<string>().Contains($"\"DispatchId\":{poisoned}")),
            e => e is not null, TimeSpan.FromSeconds(60), "the poisoned message to be recorded as failed"))!;
        Assert.Equal("StatementPublished", error["messageType"]!.GetValue<string>());
        Assert.Contains("No delivery plan for 99 dispatches", error["error"]!.GetValue<string>());
        using (var dismissed = await app.Api.DeleteAsync($"/api/errors/{error["id"]}"))
            Assert.Equal(System.Net.HttpStatusCode.NoContent, dismissed.StatusCode);
        Assert.Empty((await app.Api.GetJsonAsync("/api/errors"))["items"]!.AsArray());

        if (stack == Stack.RabbitMqPostgres)
        {
            // Parked on RabbitMQ, where it can be inspected and moved back (shovel) once the cause is fixed.
            // (Queue statistics lag by a few seconds, so poll.)
            await Eventually.UntilAsync(
                () => TestServices.RabbitMqCtlAsync("list_queues", "-p", app.Settings["RabbitMq:VirtualHost"]!, "name", "messages", "--quiet", "--no-table-headers"),
                queues => queues.Split('\n').Any(line => line.Split('\t') is ["plan-statements_error", "1"]),
                TimeSpan.FromSeconds(30), "the message in plan-statements_error");
        }

        // The queue behind it flows: the next statement goes out as usual.
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });
        var dispatch2 = await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        Assert.Equal(3, dispatch2.Int("sent"));
        Assert.Equal(3, smtp.Received.Count);
    }

    [Fact]
    public async Task A_dispatch_the_sweeper_cannot_plan_does_not_stop_the_sweeper()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:PlanGrace"] = "00:00:00",
        });
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "ana@example.org");

        // Never announced on the bus, so only the sweeper finds it — before the good one, whose message we also "lose".
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            db.Dispatches.Add(Dispatch.Queued((DispatchKind)99, DateTime.UtcNow.AddMinutes(-1)));
            var lost = Dispatch.Queued(DispatchKind.Statement, DateTime.UtcNow.AddMinutes(-1));
            lost.StatementId = (await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } })).Id;
            db.Dispatches.Add(lost);
            await db.SaveChangesAsync();
        }

        // The statement's own dispatch and the one the sweeper planned after skipping the poisoned one both complete.
        await Eventually.UntilAsync(() => smtp.Received.Count == 2, TimeSpan.FromSeconds(30), "both good dispatches to be sent");
    }
}

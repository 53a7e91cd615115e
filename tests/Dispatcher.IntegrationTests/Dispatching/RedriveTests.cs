using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>The bus loses a dispatch's messages — the embedded default's in-memory queues die with the process, or
/// someone purges a RabbitMQ queue — and the sweeper sends what the database says is still owed.</summary>
public sealed class RedriveTests
{
    [Fact]
    public async Task After_a_restart_of_the_embedded_default_a_dispatch_under_way_is_re_driven_from_the_database()
    {
        const int people = 2_000;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(2);
        var database = Path.Combine(Path.GetTempPath(), $"dispatcher-redrive-{Guid.NewGuid():N}.db");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Dispatcher"] = $"Data Source={database}",
            // Only the start-up re-drive can finish it: the periodic one would wait an hour for the dispatch to look stalled.
            ["Dispatching:StallAfter"] = "01:00:00",
        };
        try
        {
            long dispatchId;
            await using (var first = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, settings))
            {
                await first.Api.CreateListWithReadersAsync("statements", people);
                dispatchId = (await first.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } })).DispatchId!.Value;
                await Eventually.UntilAsync(() => smtp.Received.Count >= 300, TimeSpan.FromSeconds(60), "the dispatch to be under way");
            } // the process stops: its in-memory queues, with the rest of the dispatch's batches, are gone

            var stoppedAt = smtp.Received.Count;
            Assert.True(stoppedAt < people, "the dispatch finished before the restart");
            await using var second = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, settings);
            var dispatch = await second.Api.WaitForDispatchAsync(dispatchId, timeout: TimeSpan.FromSeconds(90));
            Assert.Equal(people, dispatch.Int("sent"));
            Assert.Equal(people, smtp.Received.Count);                                // nobody twice
            Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count()); // everybody
        }
        finally
        {
            foreach (var file in new[] { database, database + "-wal", database + "-shm" }) File.Delete(file);
        }
    }

    [Fact]
    public async Task A_purged_send_queue_is_re_driven_once_the_dispatch_goes_quiet()
    {
        const int people = 3_000;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(2);
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:StallAfter"] = "00:00:03",
        });
        await app.Api.CreateListWithReadersAsync("statements", people);
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => smtp.Received.Count >= 300, TimeSpan.FromSeconds(60), "the dispatch to be under way");

        var purged = await TestServices.RabbitMqCtlAsync("purge_queue", "-p", app.Settings["RabbitMq:VirtualHost"]!, "send-bulk");
        Assert.DoesNotContain(" 0 messages", purged); // there was something to lose

        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(90));
        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(people, smtp.Received.Count);
        Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count());
    }
}

using Dispatcher.Dispatching;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>A batch is claimed whole but writes its outcomes as it goes: what a crash can send twice is what was sent
/// since the last write, however large the batch (ProcessFaultTests kills a worker to check that bound).</summary>
public sealed class OutcomeWriteTests
{
    [Theory, BothStacks]
    public async Task A_large_batch_writes_its_outcomes_as_it_goes_not_only_at_its_end(Stack stack)
    {
        const int people = 300;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(10); // the one batch takes three seconds or more
        await using var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:BatchSize"] = "500", // everyone in one batch
        });
        await app.Api.CreateListWithReadersAsync("statements", people);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var midway = await Eventually.UntilAsync(() => app.Api.GetJsonAsync($"/api/dispatches/{dispatchId}"),
            d => d.Int("sent") >= BatchSender.OutcomesPerWrite, TimeSpan.FromSeconds(60), "the first outcomes to be written");
        var receivedThen = smtp.Received.Count;

        Assert.True(receivedThen < people, $"nothing was written before the batch had sent all {people}");
        Assert.InRange(midway.Int("sent"), BatchSender.OutcomesPerWrite, receivedThen); // never written before it is sent
        Assert.Equal(people - midway.Int("sent"), midway.Int("pending")); // in flight or waiting: nobody lost
        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(90));
        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(people, smtp.Received.Count);
    }
}

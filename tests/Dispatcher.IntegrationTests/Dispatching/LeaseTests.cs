using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Statements;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>A lease covers sending, not getting ready to send: a worker that is slow to prepare a dispatch's content
/// (a cold process compiling the template on a busy machine) must not hold people while the lease runs out. A batch
/// slower to send than its lease renews it; a batch whose lease was taken over stops.</summary>
public sealed class LeaseTests
{
    [Fact]
    public async Task Content_slower_to_prepare_than_the_lease_is_sent_to_everyone_once()
    {
        const int people = 60;
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:BatchSize"] = "10",
            ["Dispatching:LeaseDuration"] = "00:00:03", // ample for sending a batch of 10 on a busy machine
        }, services: services =>
        {
            services.Remove(services.Single(d => d.ServiceType == typeof(IDispatchContent) && d.ImplementationType == typeof(StatementContent)));
            services.AddScoped<IDispatchContent>(sp => new SlowToPrepare(ActivatorUtilities.CreateInstance<StatementContent>(sp), TimeSpan.FromSeconds(8))); // well past the lease and the sweep after it
        });
        await app.Api.CreateListWithReadersAsync("statements", people);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(90));

        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(people, smtp.Received.Count);                                // nobody twice
        Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count()); // everybody
    }

    [Theory, BothStacks]
    public async Task A_batch_slower_to_send_than_its_lease_keeps_it_and_sends_everyone_once(Stack stack)
    {
        const int people = 20;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(400); // a slow relay: a batch of 10 takes 4 s, twice the lease
        await using var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:BatchSize"] = "10",
            ["Dispatching:LeaseDuration"] = "00:00:02",
            ["Dispatching:SweepInterval"] = "00:00:00.500",
        });
        await app.Api.CreateListWithReadersAsync("statements", people);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(90));

        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(people, smtp.Received.Count);                                // nobody twice: the sweeper left the batch its rows
        Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count()); // everybody
    }

    [Fact]
    public async Task A_batch_whose_lease_was_taken_over_stops_and_leaves_those_people_to_their_new_holder()
    {
        const int people = 10;
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromSeconds(1); // the batch reaches the rows taken from it about 4 s after its first message
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:BatchSize"] = "10",
            ["Dispatching:LeaseDuration"] = "00:00:03", // renewed every second
            ["Dispatching:SweepInterval"] = "00:00:00.500",
            ["Smtp:MaxConnections"] = "3", // one for the bulk lane: one message a second, in order
        });
        await app.Api.CreateListWithReadersAsync("statements", people);
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });
        await Eventually.UntilAsync(() => smtp.Received.Count >= 1, TimeSpan.FromSeconds(60), "the batch to be sending");

        // What the sweeper and another worker would do had this batch stalled past its lease: take its last five rows.
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var rows = db.Deliveries.Where(d => d.DispatchId == dispatchId && d.Status == DeliveryStatus.Sending);
        var taken = await rows.OrderByDescending(d => d.Id).Take(5)
            .Select(d => new { d.Id, Email = db.Subscribers.Where(s => s.Id == d.SubscriberId).Select(s => s.Email).Single() }).ToListAsync();
        var takenIds = taken.Select(t => t.Id).ToList();
        Assert.Equal(5, await db.Deliveries.Where(d => takenIds.Contains(d.Id) && d.Status == DeliveryStatus.Sending)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.ClaimId, Guid.NewGuid()).SetProperty(d => d.LeaseUntil, DateTime.UtcNow.AddHours(1))));

        // The batch notices at its next renewal and stops; its own people it had not reached go out in a batch of their own.
        await Eventually.UntilAsync(() => db.Deliveries.CountAsync(d => d.DispatchId == dispatchId && d.Status == DeliveryStatus.Sent),
            sent => sent == people - taken.Count, TimeSpan.FromSeconds(60), "everyone not taken over to be sent");
        Assert.DoesNotContain(smtp.Received, m => taken.Any(t => t.Email == m.To));

        // The new holder "dies": its lease runs out and the sweeper hands the five on once more.
        await db.Deliveries.Where(d => takenIds.Contains(d.Id)).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, DateTime.UtcNow.AddMinutes(-1)));
        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(people, dispatch.Int("sent"));
        Assert.Equal(people, smtp.Received.Count);                                // nobody twice
        Assert.Equal(people, smtp.Received.Select(m => m.To).Distinct().Count()); // everybody
    }

    /// <summary>Takes its time before preparing, every time it is asked (each batch asks until one has cached it).</summary>
    private sealed class SlowToPrepare(IDispatchContent inner, TimeSpan delay) : IDispatchContent
    {
        public DispatchKind Kind => inner.Kind;

        public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken); // the fault itself, not a wait for an outcome
            return await inner.PrepareAsync(dispatch, cancellationToken);
        }

        public Task WarmUpAsync(CancellationToken cancellationToken) => inner.WarmUpAsync(cancellationToken);
    }
}

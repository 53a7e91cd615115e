using Dispatcher.Dispatching;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Statements;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>A lease covers sending, not getting ready to send: a worker that is slow to prepare a dispatch's content
/// (a cold process compiling the template on a busy machine) must not hold people while the lease runs out.</summary>
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

    /// <summary>Takes its time before preparing, every time it is asked (each batch asks until one has cached it).</summary>
    private sealed class SlowToPrepare(IDispatchContent inner, TimeSpan delay) : IDispatchContent
    {
        public DispatchKind Kind => inner.Kind;

        public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken); // the fault itself, not a wait for an outcome
            return await inner.PrepareAsync(dispatch, cancellationToken);
        }
    }
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>The ledger's guard on both databases: outcomes are written only by the claim that holds the rows, so a
/// worker whose lease was taken over, or a write retried after its commit was in fact made, records nothing twice.</summary>
public sealed class DeliveryLedgerTests
{
    public static TheoryData<Stack> Stacks => [Stack.InMemorySqlite, Stack.RabbitMqPostgres];

    [Theory, MemberData(nameof(Stacks))]
    public async Task Only_the_claim_holding_a_delivery_records_its_outcome_and_its_bounce_once(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatching:StallAfter"] = "01:00:00", // nobody but this test touches the rows below
        });
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "gone@example.org");

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var ledger = scope.ServiceProvider.GetRequiredService<DeliveryLedger>();
        var subscriber = await db.Subscribers.SingleAsync(s => s.Email == "gone@example.org");
        var listId = await db.Lists.Where(l => l.Slug == "statements").Select(l => l.Id).SingleAsync();
        var dispatch = new Dispatch { Kind = DispatchKind.Statement, Status = DispatchStatus.Sending, Lane = Lane.Bulk, CreatedAt = DateTime.UtcNow, Total = 1 };
        db.Dispatches.Add(dispatch);
        await db.SaveChangesAsync();
        var delivery = new Delivery { DispatchId = dispatch.Id, SubscriberId = subscriber.Id, ListId = listId, Status = DeliveryStatus.Pending };
        db.Deliveries.Add(delivery);
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();

        var batch = new SendBulkBatch(dispatch.Id, delivery.Id, delivery.Id);
        var stale = await ledger.ClaimAsync(batch, CancellationToken.None);
        Assert.Single(stale.Rows);
        Assert.Empty((await ledger.ClaimAsync(batch, CancellationToken.None)).Rows); // a repeated message claims nothing

        // The lease ran out and another worker took the row over.
        var holder = new Claim(Guid.NewGuid(), dispatch.Id, stale.Rows);
        await db.Deliveries.Where(d => d.Id == delivery.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.ClaimId, holder.Id));
        var bounced = new DeliveryOutcome(delivery.Id, subscriber.Id, DeliveryStatus.Bounced, "550 5.1.1 User unknown");

        await ledger.RecordAsync(stale, [bounced], CancellationToken.None);
        Assert.Equal(DeliveryStatus.Sending, await StatusAsync());
        Assert.Equal(0, await db.Bounces.CountAsync());
        Assert.Equal("confirmed", await SubscriptionAsync());

        await ledger.RecordAsync(holder, [bounced], CancellationToken.None);
        await ledger.RecordAsync(holder, [bounced], CancellationToken.None); // a retry after a lost acknowledgement
        Assert.Equal(DeliveryStatus.Bounced, await StatusAsync());
        Assert.Equal(1, await db.Bounces.CountAsync(b => b.DeliveryId == delivery.Id));
        Assert.Equal("bounced", await SubscriptionAsync());

        Task<DeliveryStatus> StatusAsync() => db.Deliveries.AsNoTracking().Where(d => d.Id == delivery.Id).Select(d => d.Status).SingleAsync();
        async Task<string> SubscriptionAsync() =>
            (await app.Api.GetJsonAsync("/api/subscribers/gone@example.org"))["subscriptions"]![0]!["status"]!.GetValue<string>();
    }
}

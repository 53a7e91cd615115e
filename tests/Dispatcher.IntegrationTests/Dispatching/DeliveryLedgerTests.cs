using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Mail;
using Dispatcher.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>The ledger's guard on both databases: outcomes are written only by the claim that holds the rows, so a
/// worker whose lease was taken over, or a write retried after its commit was in fact made, records nothing twice;
/// and a lease is kept only as long as its holder can renew it.</summary>
public sealed class DeliveryLedgerTests
{
    [Theory, BothStacks]
    public async Task Only_the_claim_holding_a_delivery_records_its_outcome_and_its_bounce_once(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatching:StallAfter"] = "01:00:00", // nobody but this test touches the rows below
        });
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var ledger = scope.ServiceProvider.GetRequiredService<DeliveryLedger>();
        var (dispatch, delivery, subscriber) = await OnePendingDeliveryAsync(app, db, "gone@example.org");

        var batch = new SendBulkBatch(dispatch.Id, delivery.Id, delivery.Id);
        var stale = await ledger.ClaimAsync(batch);
        Assert.Single(stale.Rows);
        Assert.Empty((await ledger.ClaimAsync(batch)).Rows); // a repeated message claims nothing

        // The lease ran out and another worker took the row over.
        var holder = new Claim(Guid.NewGuid(), dispatch.Id, stale.LeaseUntil, stale.Rows, stale.WorkerId);
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
        // The same policy as a mailbox report or a webhook: audited once, like them.
        Assert.Equal(1, await db.Audit.CountAsync(a => a.Action == "bounce.hard" && a.Target == $"subscriber:{subscriber.Id}"));

        Task<DeliveryStatus> StatusAsync() => db.Deliveries.AsNoTracking().Where(d => d.Id == delivery.Id).Select(d => d.Status).SingleAsync();
        async Task<string> SubscriptionAsync() =>
            (await app.Api.GetJsonAsync("/api/subscribers/gone@example.org"))["subscriptions"]![0]!["status"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_lease_is_renewed_while_held_and_given_up_before_it_runs_out_when_the_database_is_away()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatching:LeaseDuration"] = "00:00:03",
            ["Dispatching:StallAfter"] = "01:00:00", // nobody but this test touches the rows below
        });
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var (dispatch, delivery, _) = await OnePendingDeliveryAsync(app, db, "reader@example.org");
        var claim = await scope.ServiceProvider.GetRequiredService<DeliveryLedger>()
            .ClaimAsync(new SendBulkBatch(dispatch.Id, delivery.Id, delivery.Id));

        await using var lease = scope.ServiceProvider.GetRequiredService<LeaseKeeper>().Hold(claim);
        // Renewed: still held once the lease it was claimed with has run out, and the row says so too.
        await Eventually.UntilAsync(() => DateTime.UtcNow > claim.LeaseUntil && lease.Held, TimeSpan.FromSeconds(20), "the lease to outlive its first term");
        Assert.True(await LeaseUntilAsync() > claim.LeaseUntil);

        var connectionString = app.Settings["ConnectionStrings:Dispatcher"]!;
        DateTime givenUpAt;
        try
        {
            await TestServices.SetPostgresDatabaseOnlineAsync(connectionString, online: false);
            await Eventually.UntilAsync(() => !lease.Held, TimeSpan.FromSeconds(20), "the lease to be given up while it cannot be renewed");
            givenUpAt = DateTime.UtcNow;
        }
        finally
        {
            await TestServices.SetPostgresDatabaseOnlineAsync(connectionString, online: true);
        }
        // Given up before the lease the database holds ran out, so the sweeper cannot have handed the row on yet.
        Assert.True(givenUpAt < await LeaseUntilAsync(), "the lease was still counted as held after it ran out");

        async Task<DateTime> LeaseUntilAsync() =>
            (await db.Deliveries.AsNoTracking().Where(d => d.Id == delivery.Id).Select(d => d.LeaseUntil).SingleAsync())!.Value;
    }

    [Fact]
    public async Task A_lease_is_still_held_after_its_batch_wrote_some_outcomes_and_is_renewed_for_the_rest()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp: null, new Dictionary<string, string?>
        {
            ["Dispatching:LeaseDuration"] = "00:00:03", // renewed every second
            ["Dispatching:StallAfter"] = "01:00:00",
        });
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var ledger = scope.ServiceProvider.GetRequiredService<DeliveryLedger>();
        var (dispatch, deliveries) = await PendingDeliveriesAsync(app, db, "first@example.org", "second@example.org");
        var claim = await ledger.ClaimAsync(new SendBulkBatch(dispatch.Id, deliveries[0].Id, deliveries[1].Id));
        Assert.Equal(2, claim.Rows.Count);

        await using var lease = scope.ServiceProvider.GetRequiredService<LeaseKeeper>().Hold(claim);
        // What a batch does every 100 messages: say so, then write the first outcome. The row leaves the claim, and the
        // renewals that follow find one row where the claim had two — which is not a takeover.
        lease.Settling(1);
        await ledger.RecordAsync(claim, [new DeliveryOutcome(deliveries[0].Id, deliveries[0].SubscriberId, DeliveryStatus.Sent, "250 2.0.0 OK")], CancellationToken.None);

        await Eventually.UntilAsync(() => DateTime.UtcNow > claim.LeaseUntil && lease.Held, TimeSpan.FromSeconds(20), "the lease to outlive its first term");
        var rows = await db.Deliveries.AsNoTracking().Where(d => d.DispatchId == dispatch.Id).OrderBy(d => d.Id).ToListAsync();
        Assert.Equal([DeliveryStatus.Sent, DeliveryStatus.Sending], rows.Select(r => r.Status));
        Assert.True(rows[1].LeaseUntil > claim.LeaseUntil, "the unwritten row's lease was not renewed");
    }

    /// <summary>A batch's consumer is cancelled (its broker node died, the host is stopping) after PostgreSQL committed
    /// the claim's UPDATE but before the batch had read what it took: the rows must not stay leased to nobody until the
    /// lease runs out (two minutes for an alert's people). The claim's SELECT is held up by a lock on subscribers, which
    /// it joins and the UPDATE does not, so the cancellation arrives exactly in that gap.</summary>
    [Fact]
    public async Task A_batch_cancelled_between_its_claim_and_reading_the_rows_gives_them_back_at_once()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:StallAfter"] = "01:00:00", // nobody but this test sends the rows below
            ["Smtp:MaxConnections"] = "2", ["Smtp:AlertConnections"] = "1", // one bulk connection: with the relay's delay below, the batch is stopped while it still has people to send
        });
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var (dispatch, deliveries) = await StatementRowsToSendAsync(app, db, People);
        var receivedBefore = smtp.Received.Count;
        smtp.Delay = TimeSpan.FromSeconds(2);
        await using var batchScope = app.Services.CreateAsyncScope();
        // Prepared before the lock below, as it is for every batch but a dispatch's first: preparing reads the lists' readers.
        await batchScope.ServiceProvider.GetRequiredService<DispatchContentCache>().GetAsync(dispatch, CancellationToken.None);

        var connectionString = app.Settings["ConnectionStrings:Dispatcher"]!;
        await using var locker = new NpgsqlConnection(connectionString);
        await locker.OpenAsync();
        var lockTransaction = await locker.BeginTransactionAsync();
        await new NpgsqlCommand("LOCK TABLE subscribers IN ACCESS EXCLUSIVE MODE", locker, lockTransaction).ExecuteNonQueryAsync();

        using var consumer = new CancellationTokenSource();
        var sending = batchScope.ServiceProvider.GetRequiredService<BatchSender>()
            .SendAsync(new SendBulkBatch(dispatch.Id, deliveries[0].Id, deliveries[^1].Id), Lane.Bulk, consumer.Token);
        try
        {
            // The UPDATE has committed and the SELECT waits for the lock.
            await Eventually.UntilAsync(() => HeldRowsAsync(), held => held == People.Length, TimeSpan.FromSeconds(30), "the claim's UPDATE to commit");
            await Eventually.UntilAsync(() => ClaimReadWaitingAsync(connectionString), waiting => waiting, TimeSpan.FromSeconds(30), "the claim's SELECT to wait for the lock");
            consumer.Cancel();
        }
        finally
        {
            await lockTransaction.RollbackAsync();
        }
        try
        {
            await sending.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (OperationCanceledException)
        {
            // As a consumer's cancelled batch ends; one that finished what its connections had taken returns instead.
        }
        smtp.Delay = TimeSpan.Zero;

        // Nothing left held by a batch that is gone: what it did not send is pending again, due at once.
        var rows = await db.Deliveries.AsNoTracking().Where(d => d.DispatchId == dispatch.Id).ToListAsync();
        Assert.All(rows, r => Assert.True(r.Status is DeliveryStatus.Pending or DeliveryStatus.Sent, $"{r.Id}: {r.Status}"));
        Assert.Contains(rows, r => r.Status == DeliveryStatus.Pending);
        Assert.All(rows.Where(r => r.Status == DeliveryStatus.Pending), r => Assert.True(r is { ClaimId: null, RetryAt: not null }, $"{r.Id}: claim {r.ClaimId}, retry {r.RetryAt}"));

        // Sent again from the rows: each person has it exactly once.
        await scope.ServiceProvider.GetRequiredService<BatchPublisher>().PublishPendingAsync(dispatch.Id, Lane.Bulk, CancellationToken.None);
        var done = await app.Api.WaitForDispatchAsync(dispatch.Id);
        Assert.Equal(People.Length, done.Int("sent"));
        Assert.Equal(People.Order(), smtp.Received.Skip(receivedBefore).SelectMany(m => m.EnvelopeTo).Order());

        Task<int> HeldRowsAsync() => db.Deliveries.AsNoTracking().CountAsync(d => d.DispatchId == dispatch.Id && d.Status == DeliveryStatus.Sending);
    }

    /// <summary>Cancelled once every message is with the relay, a batch still writes what the relay answers — and, being
    /// the dispatch's last, completes it: its redelivered message would claim nothing, and nothing else would complete
    /// it until the sweeper found it stalled.</summary>
    [Theory, BothStacks]
    public async Task A_batch_cancelled_while_the_relay_takes_its_last_messages_records_them_and_completes_its_dispatch(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:StallAfter"] = "01:00:00", // nobody but this test sends the rows below, nor completes them
        });
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var (dispatch, deliveries) = await StatementRowsToSendAsync(app, db, People);
        var receivedBefore = smtp.Received.Count;
        smtp.Delay = TimeSpan.FromSeconds(2);

        using var consumer = new CancellationTokenSource();
        await using var batchScope = app.Services.CreateAsyncScope();
        var sending = batchScope.ServiceProvider.GetRequiredService<BatchSender>()
            .SendAsync(new SendBulkBatch(dispatch.Id, deliveries[0].Id, deliveries[^1].Id), Lane.Bulk, consumer.Token);
        await Eventually.UntilAsync(() => smtp.InFlight == People.Length, TimeSpan.FromSeconds(30), "every message to be with the relay");
        consumer.Cancel();
        await sending.WaitAsync(TimeSpan.FromSeconds(60));

        var done = await app.Api.GetJsonAsync($"/api/dispatches/{dispatch.Id}");
        Assert.Equal("completed", done["status"]!.GetValue<string>());
        Assert.Equal(People.Length, done.Int("sent"));
        Assert.Equal(People.Order(), smtp.Received.Skip(receivedBefore).SelectMany(m => m.EnvelopeTo).Order());
    }

    /// <summary>After a database outage longer than a lease every lease has run out, while live workers' batches wait to
    /// record what they sent: the sweeper leaves a live holder's rows one lease more, and takes at once the rows of a
    /// holder that is no live worker, and a live holder's whose lease ran out more than a lease ago.</summary>
    [Fact]
    public async Task The_sweeper_leaves_a_live_workers_expired_rows_one_lease_more_and_takes_the_others()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:StallAfter"] = "01:00:00", // only the expired leases below move these rows
        });
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var (dispatch, deliveries) = await StatementRowsToSendAsync(app, db, People);
        var liveness = app.Services.GetRequiredService<WorkerLiveness>();
        await liveness.WhenAliveAsync(CancellationToken.None);
        var claim = await scope.ServiceProvider.GetRequiredService<DeliveryLedger>()
            .ClaimAsync(new SendBulkBatch(dispatch.Id, deliveries[0].Id, deliveries[^1].Id));
        Assert.Equal(liveness.Current, claim.WorkerId);

        var now = DateTime.UtcNow;
        await LeaseAsync(deliveries[0].Id, now.AddSeconds(-60), claim.WorkerId);         // live holder, ran out a minute ago
        await LeaseAsync(deliveries[1].Id, now.AddSeconds(-60), Guid.NewGuid());         // no live worker holds it
        await LeaseAsync(deliveries[2].Id, now.AddMinutes(-3), claim.WorkerId);          // live holder, ran out more than a lease ago

        var taken = await Eventually.UntilAsync(() => StatusesAsync(), s => s[1] != DeliveryStatus.Sending && s[2] != DeliveryStatus.Sending,
            TimeSpan.FromSeconds(30), "the sweeper to take the rows no live worker may still record");
        Assert.Equal(DeliveryStatus.Sending, taken[0]);
        // Sent by the worker the sweeper handed them to: the other two people, once each.
        await Eventually.UntilAsync(() => smtp.Received.Count(m => m.EnvelopeTo.Contains(People[1]) || m.EnvelopeTo.Contains(People[2])) >= 4,
            TimeSpan.FromSeconds(30), "the two taken rows to be sent");
        Assert.Equal(DeliveryStatus.Sending, (await StatusesAsync())[0]);
        Assert.Equal([1, 2, 2], People.Select(p => smtp.To(p).Count));

        Task LeaseAsync(long id, DateTime until, Guid? worker) =>
            db.Deliveries.Where(d => d.Id == id).ExecuteUpdateAsync(s => s.SetProperty(d => d.LeaseUntil, until).SetProperty(d => d.WorkerId, worker));
        async Task<DeliveryStatus[]> StatusesAsync() =>
            (await db.Deliveries.AsNoTracking().Where(d => d.DispatchId == dispatch.Id).OrderBy(d => d.Id).Select(d => d.Status).ToListAsync()).ToArray();
    }

    private static readonly string[] People = ["vigil@example.org", "march@example.org", "strike@example.org"];

    /// <summary>Pending rows of a sending dispatch of a published statement, which no worker has been asked to send (the
    /// statement's own dispatch, to the same people, is sent and done first).</summary>
    private static async Task<(Dispatch, List<Delivery>)> StatementRowsToSendAsync(DispatcherApp app, DispatcherDb db, string[] people)
    {
        var (dispatch, deliveries) = await PendingDeliveriesAsync(app, db, people);
        var (statement, first) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(first!.Value);
        await db.Dispatches.Where(d => d.Id == dispatch.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.StatementId, statement));
        return (await db.Dispatches.AsNoTracking().SingleAsync(d => d.Id == dispatch.Id), deliveries);
    }

    private static async Task<bool> ClaimReadWaitingAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%LEFT JOIN subscribers s%'", connection);
        return (long)(await query.ExecuteScalarAsync())! > 0;
    }

    /// <summary>A sending dispatch with one pending delivery to a new subscriber of a new list, made directly in the
    /// database so that no worker claims it: the test does.</summary>
    [Theory, BothStacks]
    public async Task Someone_erased_before_their_turn_is_skipped_and_their_rows_keep_no_link_to_them(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?>
        {
            ["Dispatching:StallAfter"] = "01:00:00", // nobody but this test publishes the rows below
        });
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var (dispatch, _) = await PendingDeliveriesAsync(app, db, "before@example.org", "during@example.org", "stays@example.org");
        // What the rows send: a statement (whose own dispatch goes to all three first).
        var (statement, first) = await app.Api.PublishAsync(new { title = "Solidarity", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(first!.Value);
        await db.Dispatches.Where(d => d.Id == dispatch.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.StatementId, statement));

        // Erased after their row was planned: the eraser unlinks it.
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await app.Api.DeleteAsync("/api/subscribers/before@example.org")).StatusCode);
        Assert.Equal(1, await db.Deliveries.CountAsync(d => d.DispatchId == dispatch.Id && d.SubscriberId == null));
        // Erased while a planner was writing their row, which it committed after the eraser had looked: nothing in the
        // database stops that row pointing at nobody, as here.
        await db.Subscribers.Where(s => s.Email == "during@example.org").ExecuteDeleteAsync();

        await scope.ServiceProvider.GetRequiredService<BatchPublisher>().PublishPendingAsync(dispatch.Id, Lane.Bulk, CancellationToken.None);
        var done = await app.Api.WaitForDispatchAsync(dispatch.Id);

        Assert.Equal(1, done.Int("sent"));
        Assert.Equal(2, done.Int("skipped"));
        Assert.Equal(["before@example.org", "during@example.org", "stays@example.org", "stays@example.org"], smtp.Received.Select(m => m.To).Order());
        var rows = await db.Deliveries.AsNoTracking().Where(d => d.DispatchId == dispatch.Id).OrderBy(d => d.Id).ToListAsync();
        Assert.All(rows.Take(2), r => Assert.True(r is { SubscriberId: null, Status: DeliveryStatus.Skipped, RelayResponse: "erased before their turn" }, $"{r.Id}: {r.SubscriberId} {r.Status} {r.RelayResponse}"));
        Assert.NotNull(rows[2].SubscriberId);

        // The same, in a dispatch cancelled before their turn came.
        var (cancelled, _) = await PendingDeliveriesOnAsync(app, db, "alerts", "stays@example.org", "later@example.org");
        await db.Subscribers.Where(s => s.Email == "later@example.org").ExecuteDeleteAsync();
        await app.Api.PostOkAsync($"/api/dispatches/{cancelled.Id}/cancel", new { }, System.Net.HttpStatusCode.Accepted);
        var skipped = await db.Deliveries.AsNoTracking().Where(d => d.DispatchId == cancelled.Id).OrderBy(d => d.Id).ToListAsync();
        Assert.All(skipped, r => Assert.Equal(DeliveryStatus.Skipped, r.Status));
        Assert.NotNull(skipped[0].SubscriberId);
        Assert.Null(skipped[1].SubscriberId);
    }

    private static async Task<(Dispatch, Delivery, Dispatcher.Subscribers.Subscriber)> OnePendingDeliveryAsync(DispatcherApp app, DispatcherDb db, string email)
    {
        var (dispatch, deliveries) = await PendingDeliveriesAsync(app, db, email);
        return (dispatch, deliveries[0], await db.Subscribers.SingleAsync(s => s.Email == email));
    }

    /// <summary>A sending dispatch with a pending delivery (ids in this order) for each of these new subscribers of a new list.</summary>
    private static Task<(Dispatch, List<Delivery>)> PendingDeliveriesAsync(DispatcherApp app, DispatcherDb db, params string[] emails) =>
        PendingDeliveriesOnAsync(app, db, "statements", emails);

    private static async Task<(Dispatch, List<Delivery>)> PendingDeliveriesOnAsync(DispatcherApp app, DispatcherDb db, string listSlug, params string[] emails)
    {
        await app.Api.CreateListAsync(listSlug);
        foreach (var email in emails) await app.Api.SubscribeAsync(listSlug, email);
        var listId = await db.Lists.Where(l => l.Slug == listSlug).Select(l => l.Id).SingleAsync();
        // Active just now, as a planned dispatch is: one that never was counts as stalled, and the sweeper would send it
        // before the test has set it up.
        var dispatch = new Dispatch
        {
            Kind = DispatchKind.Statement, Status = DispatchStatus.Sending, Lane = Lane.Bulk, CreatedAt = DateTime.UtcNow, LastActivityAt = DateTime.UtcNow,
            Total = emails.Length,
        };
        db.Dispatches.Add(dispatch);
        await db.SaveChangesAsync();
        var deliveries = new List<Delivery>();
        foreach (var email in emails)
        {
            var subscriber = await db.Subscribers.SingleAsync(s => s.Email == email);
            var delivery = new Delivery { DispatchId = dispatch.Id, SubscriberId = subscriber.Id, ListId = listId, Status = DeliveryStatus.Pending };
            db.Deliveries.Add(delivery);
            await db.SaveChangesAsync(); // one at a time: ids in the order given
            deliveries.Add(delivery);
        }
        db.ChangeTracker.Clear();
        return (dispatch, deliveries);
    }
}

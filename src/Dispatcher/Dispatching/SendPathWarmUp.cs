using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Mail;
using Dispatcher.Messages;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Dispatching;

/// <summary>Runs, once at start, what a dispatch does on its way out, without sending anything or changing anything
/// (docs/adr/0012): every LINQ query of planning, publishing, sending, recording and each kind's content, against
/// dispatch 0, which does not exist (both databases number rows from 1) — EF Core compiles a query the first time it
/// runs, 5–100 ms each on two cores; a dispatch row inserted and changed in a transaction that is rolled back — EF's
/// first save of an entity type builds its accessors and commands; a no-op batch on the bus; one message built for a
/// made-up person and written to nowhere (the send path's code is compiled by CodeWarmUp). Each class runs its own queries (a
/// WarmUpAsync beside them), so they are the same queries; WarmUpTests fails when a first send compiles one this misses.</summary>
public sealed class SendPathWarmUp(IServiceScopeFactory scopes, bool sends) : IWarmUpStep
{
    /// <summary>The id no dispatch, delivery, alert or statement has.</summary>
    internal const long None = 0;

    public string Doing => "running the send path once, to nobody";

    /// <summary>The newest dispatch, for the queries that only read: EF turns rows into objects with code it compiles for
    /// the query and the JIT compiles on its first row, which id 0 never gives. None on a new installation.</summary>
    internal static async Task<long> NewestDispatchAsync(DispatcherDb db, CancellationToken cancellationToken) =>
        await db.Dispatches.MaxAsync(d => (long?)d.Id, cancellationToken) ?? None;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        // A Web process renders what it has just created (DispatchContentCache.RenderInWebAsync); a sender, what it sends.
        foreach (var content in services.GetServices<IDispatchContent>())
            await content.WarmUpAsync(cancellationToken);
        await DispatchEmailSet.WarmUpAsync(services.GetRequiredService<DispatcherDb>(), cancellationToken);
        if (sends)
        {
            BuildOneMessage(services);
            await services.GetRequiredService<DispatchPlanner>().WarmUpAsync(cancellationToken);
            await services.GetRequiredService<BatchPublisher>().PublishPendingAsync(None, Lane.Urgent, cancellationToken); // publishes nothing
            await services.GetRequiredService<BatchSender>().WarmUpAsync(cancellationToken);
            await services.GetRequiredService<DeliveryLedger>().WarmUpAsync(cancellationToken);
            await services.GetRequiredService<IPublishEndpoint>().TryPublishAsync(new SendUrgentBatch(None, None, None),
                services.GetRequiredService<ILogger<SendPathWarmUp>>(), cancellationToken); // its consumer finds no dispatch 0
        }
        // Last: the only part that takes the database's write lock, and the one most likely to meet another writer.
        await WriteAndRollBackAsync(services.GetRequiredService<DispatcherDb>(), services.GetRequiredService<TimeProvider>(), cancellationToken);
    }

    /// <summary>One message, to nobody: built for a made-up person and written as a connection writes it, to nowhere.</summary>
    private static void BuildOneMessage(IServiceProvider services)
    {
        var email = CompiledEmail.From(new CompiledEmailParts("Warm-up", "0123456789abcdef", "<p>Hello</p>", "Hello", "<p>Hello</p>", "Hello"));
        var person = new DeliveryRecipient(None, None, 0, 0, "warm-up@example.org", "Warm Up", Subscribers.SubscriptionStatus.Confirmed,
            Subscribers.Cadence.Immediate, true);
        var outgoing = services.GetRequiredService<RecipientLinks>().Message(None, person, email, new ListIdentity("warm-up", "Warm-up"));
        using var message = services.GetRequiredService<MessageFactory>().Create(outgoing);
        MailJob.Rehearse(message);
    }

    /// <summary>A dispatch row inserted and changed, with an audit entry, as sending an alert does — inside a transaction
    /// (so EF sets its savepoints as it does then) that is rolled back. Nobody sees the rows; PostgreSQL's id sequence
    /// skips one number.</summary>
    private static async Task WriteAndRollBackAsync(DispatcherDb db, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var dispatch = Dispatch.Queued(DispatchKind.Alert, now);
        db.Dispatches.Add(dispatch);
        await db.SaveChangesAsync(cancellationToken);
        dispatch.Status = DispatchStatus.Sending;
        dispatch.StartedAt = dispatch.LastActivityAt = now;
        db.Audit.Add(Audit.AuditLog.Entry(clock, "system", "warm-up", "dispatch:0"));
        db.IntegrationEvents.Add(Events.IntegrationEvents.Of(clock, Events.IntegrationEvents.AlertSent, new { alertId = 0 }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.RollbackAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }
}

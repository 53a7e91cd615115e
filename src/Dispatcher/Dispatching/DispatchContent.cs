using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Mail;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>Prepares what one kind of dispatch sends (statement, alert, digest, confirmation), once per dispatch.</summary>
public interface IDispatchContent
{
    DispatchKind Kind { get; }

    Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken);

    /// <summary>Runs the queries of <see cref="PrepareAsync"/> against ids that do not exist, so the first dispatch
    /// finds them compiled (see <see cref="SendPathWarmUp"/>). Changes nothing.</summary>
    Task WarmUpAsync(CancellationToken cancellationToken);
}

/// <summary>A dispatch's content, ready to be filled in per person; shared by all the batches of the dispatch (so it
/// holds no database context: one is passed in where needed).</summary>
public interface IPreparedContent
{
    /// <summary>What a batch needs beyond the claimed rows (a digest loads each person's lists and cursors here).</summary>
    Task<IBatchContent> ForBatchAsync(DispatcherDb db, IReadOnlyList<DeliveryRecipient> rows, CancellationToken cancellationToken);

    /// <summary>Called once the batch's outcomes are recorded, with the people the relay accepted a message for.</summary>
    Task AfterSentAsync(DispatcherDb db, IReadOnlyCollection<long> subscriberIds, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The content for one batch of people.</summary>
public interface IBatchContent
{
    /// <summary>Whether the person still wants this, checked just before sending: people who left since are skipped.</summary>
    bool StillWanted(DeliveryRecipient recipient);

    ValueTask<OutgoingMessage> MessageForAsync(DeliveryRecipient recipient);
}

/// <summary>Content that is one email per list and reader language (see <see cref="DispatchEmailSet"/>), filled in per
/// person: a batch makes ready the emails its people need, then every message is a copy.</summary>
public abstract class PerListContent(Func<string?, string> languageOf) : IPreparedContent, IBatchContent
{
    public async Task<IBatchContent> ForBatchAsync(DispatcherDb db, IReadOnlyList<DeliveryRecipient> rows, CancellationToken cancellationToken)
    {
        foreach (var group in rows.Where(r => r.Email is not null && StillWanted(r)).GroupBy(EmailsFor))
            await group.Key.LoadAsync(db, group.Select(KeyOf), cancellationToken);
        return this;
    }

    public abstract bool StillWanted(DeliveryRecipient recipient);

    public ValueTask<OutgoingMessage> MessageForAsync(DeliveryRecipient recipient) => ValueTask.FromResult(MessageFor(recipient));

    protected abstract OutgoingMessage MessageFor(DeliveryRecipient recipient);

    /// <summary>Where this person's email comes from (a confirmation has two: "please confirm" and "already subscribed").</summary>
    protected abstract DispatchEmailSet EmailsFor(DeliveryRecipient recipient);

    protected EmailKey KeyOf(DeliveryRecipient recipient) => new(recipient.ListId, languageOf(recipient.Language));

    /// <summary>This person's email, made ready by <see cref="ForBatchAsync"/>.</summary>
    protected CompiledEmail EmailFor(DeliveryRecipient recipient) => EmailsFor(recipient)[KeyOf(recipient)];
}

/// <summary>The usual content: one email per list and reader language, sent with the list's headers and the person's
/// own links; a kind says only whom it still wants (<see cref="PerListContent.StillWanted"/>).</summary>
public abstract class ListMessageContent(long dispatchId, DispatchEmailSet emails, IReadOnlyDictionary<int, ListIdentity> lists,
    RecipientLinks links, Func<string?, string> languageOf) : PerListContent(languageOf)
{
    /// <summary>Whether the person's list is one this dispatch has an email for.</summary>
    protected bool HasList(DeliveryRecipient recipient) => lists.ContainsKey(recipient.ListId);

    protected override DispatchEmailSet EmailsFor(DeliveryRecipient recipient) => emails;

    protected override OutgoingMessage MessageFor(DeliveryRecipient recipient) =>
        links.Message(dispatchId, recipient, EmailFor(recipient), lists[recipient.ListId]);
}

/// <summary>Keeps each dispatch's prepared content (its compiled template) in the process-wide cache for a while, so
/// every batch reuses it. Scoped, like the content kinds it asks (they read the database).</summary>
public sealed class DispatchContentCache(
    IEnumerable<IDispatchContent> kinds, IMemoryCache cache, IOptions<DispatcherOptions> options, ILogger<DispatchContentCache> logger)
{
    private readonly Dictionary<DispatchKind, IDispatchContent> _kinds = kinds.ToDictionary(k => k.Kind);

    public async Task<IPreparedContent> GetAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var key = (typeof(DispatchContentCache), dispatch.Id);
        if (cache.TryGetValue(key, out IPreparedContent? prepared) && prepared is not null) return prepared;

        prepared = await KindOf(dispatch).PrepareAsync(dispatch, cancellationToken);
        cache.Set(key, prepared, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });
        return prepared;
    }

    private IDispatchContent KindOf(Dispatch dispatch) => _kinds.TryGetValue(dispatch.Kind, out var kind) ? kind
        : throw new InvalidOperationException($"No content is registered for {dispatch.Kind} dispatches.");

    /// <summary>In a Web process, renders a dispatch it has just created, so that its email is kept with the dispatch
    /// (see <see cref="DispatchEmail"/>) and the workers that send it need no compiler. A process that also sends
    /// renders at its first batch, as before. Best effort: what fails here fails again, and is reported, in the worker.</summary>
    public async Task RenderInWebAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        if (options.Value.Role != HostRole.Web) return;
        try
        {
            await KindOf(dispatch).PrepareAsync(dispatch, cancellationToken); // not cached here: this process sends nothing
        }
        catch (Exception e)
        {
            // The dispatch is committed: whatever happened here (a client that went away included), the bus message
            // still goes, and the worker renders.
            logger.Log(cancellationToken.IsCancellationRequested ? LogLevel.Debug : LogLevel.Warning, e,
                "Could not render dispatch {DispatchId} here; its worker will", dispatch.Id);
        }
    }
}

using Dispatcher.Mail;
using Microsoft.Extensions.Caching.Memory;

namespace Dispatcher.Dispatching;

/// <summary>Prepares what one kind of dispatch sends (statement, alert, digest, confirmation), once per dispatch.</summary>
public interface IDispatchContent
{
    DispatchKind Kind { get; }

    Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken);
}

/// <summary>A dispatch's content, ready to be filled in per person.</summary>
public interface IPreparedContent
{
    /// <summary>Whether the person still wants this, checked just before sending: people who left since are skipped.</summary>
    bool StillWanted(DeliveryRecipient recipient);

    OutgoingMessage MessageFor(DeliveryRecipient recipient);
}

/// <summary>Keeps each dispatch's prepared content (its compiled template) in the process-wide cache for a while, so
/// every batch reuses it. Scoped, like the content kinds it asks (they read the database).</summary>
public sealed class DispatchContentCache(IEnumerable<IDispatchContent> kinds, IMemoryCache cache)
{
    private readonly Dictionary<DispatchKind, IDispatchContent> _kinds = kinds.ToDictionary(k => k.Kind);

    public async Task<IPreparedContent> GetAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var key = (typeof(DispatchContentCache), dispatch.Id);
        if (cache.TryGetValue(key, out IPreparedContent? prepared) && prepared is not null) return prepared;

        if (!_kinds.TryGetValue(dispatch.Kind, out var kind))
            throw new InvalidOperationException($"No content is registered for {dispatch.Kind} dispatches.");
        prepared = await kind.PrepareAsync(dispatch, cancellationToken);
        cache.Set(key, prepared, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });
        return prepared;
    }
}

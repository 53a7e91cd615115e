namespace Dispatcher.Dispatching;

/// <summary>A relay's permanent "no such mailbox" for one delivery.</summary>
public readonly record struct RelayBounce(long DeliveryId, long? SubscriberId, string? Reason);

/// <summary>Where the ledger hands the relay's hard bounces, in its own transaction. The policy (what a bounce stops,
/// what is audited) is the Bounces feature's; Dispatching only reports what the relay said.</summary>
public interface IRelayBounces
{
    Task RecordAsync(IReadOnlyCollection<RelayBounce> bounces, CancellationToken cancellationToken);
}

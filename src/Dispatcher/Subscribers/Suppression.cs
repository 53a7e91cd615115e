namespace Dispatcher.Subscribers;

/// <summary>An address that must never be mailed again, kept as a salted hash only (after an erasure, the person's
/// data is gone; this is all that is left). Only the person's own confirmed sign-up removes it.</summary>
public sealed class Suppression
{
    /// <summary>Hex HMAC-SHA256 of the normalised address with the installation's suppression salt.</summary>
    public required string AddressHash { get; set; }

    public required string Reason { get; set; }
    public DateTime CreatedAt { get; set; }
}

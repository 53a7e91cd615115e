using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Buffers.Text;
using Dispatcher.Mail;

namespace Dispatcher.Subscribers;

public enum TokenPurpose : byte
{
    Unsubscribe = 1,
    Preferences = 2,
    Confirm = 3,
}

/// <summary>What a valid token vouches for. ListId is 0 for a token about the person rather than one list, and
/// negative for a digest's unsubscribe link (every list of that cadence: see <see cref="SubscriberTokens.DigestScope"/>).</summary>
public readonly record struct SubscriberToken(TokenPurpose Purpose, long SubscriberId, int ListId)
{
    public Cadence? DigestCadence => ListId < 0 ? (Cadence)(-ListId) : null;
}

/// <summary>HMAC-signed links are a subscriber's identity: unguessable, per person (and list), and they reveal nothing.
/// Layout before base64url: purpose (1) | subscriber id (8) | list id (4) | expiry, unix seconds or 0 (4) | HMAC-SHA256
/// truncated to 16 — 33 bytes, a multiple of 3, so every one of the 44 characters counts and none can be changed unnoticed.</summary>
public sealed class SubscriberTokens(SigningKey key, TimeProvider clock)
{
    private const int PayloadLength = 1 + 8 + 4 + 4;
    private const int MacLength = 16;
    private const int TokenLength = (PayloadLength + MacLength) / 3 * 4;

    /// <summary>The "list" of a digest's unsubscribe link: all the person's lists of that cadence.</summary>
    public static int DigestScope(Cadence cadence) => -(int)cadence;

    public string Create(TokenPurpose purpose, long subscriberId, int listId = 0, DateTimeOffset? expires = null)
    {
        Span<byte> token = stackalloc byte[PayloadLength + MacLength];
        token[0] = (byte)purpose;
        BinaryPrimitives.WriteInt64BigEndian(token[1..], subscriberId);
        BinaryPrimitives.WriteInt32BigEndian(token[9..], listId);
        BinaryPrimitives.WriteUInt32BigEndian(token[13..], (uint)(expires?.ToUnixTimeSeconds() ?? 0));
        Sign(token[..PayloadLength], token[PayloadLength..]);
        return Base64Url.EncodeToString(token);
    }

    public bool TryRead(string? text, TokenPurpose purpose, [NotNullWhen(true)] out SubscriberToken? token)
    {
        token = null;
        if (string.IsNullOrEmpty(text) || text.Length != TokenLength || !Base64Url.IsValid(text)) return false;

        Span<byte> bytes = stackalloc byte[PayloadLength + MacLength];
        if (!Base64Url.TryDecodeFromChars(text, bytes, out var length) || length != bytes.Length) return false;

        if (!key.Verifies(bytes[..PayloadLength], bytes[PayloadLength..])) return false;
        if (bytes[0] != (byte)purpose) return false;

        var expiry = BinaryPrimitives.ReadUInt32BigEndian(bytes[13..]);
        if (expiry != 0 && clock.GetUtcNow().ToUnixTimeSeconds() > expiry) return false;

        token = new SubscriberToken(purpose, BinaryPrimitives.ReadInt64BigEndian(bytes[1..]), BinaryPrimitives.ReadInt32BigEndian(bytes[9..]));
        return true;
    }

    private void Sign(ReadOnlySpan<byte> payload, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[32];
        key.Sign(payload, full);
        full[..MacLength].CopyTo(mac);
    }
}

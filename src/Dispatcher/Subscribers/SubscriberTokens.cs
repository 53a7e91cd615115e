using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Buffers.Text;

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

/// <summary>The key that signs subscriber tokens and return paths, loaded once at start, and the keys it replaced
/// (Dispatcher:PreviousSigningKeys, or the kept key's earlier values): links already sent still verify, nothing new is
/// signed with them.</summary>
public sealed class SigningKey
{
    private byte[]? _value;

    // One HMAC per thread and key, reused: HMACSHA256.HashData sets OpenSSL's algorithm up on every call (3.8 µs here,
    // against 2.1 µs with a reused one), and every message signs three values.
    private ThreadLocal<IncrementalHash>[] _hmacs = [];

    public byte[] Value => _value ?? throw new InvalidOperationException("The signing key has not been loaded yet.");

    public void Set(byte[] value, IEnumerable<byte[]>? previous = null)
    {
        _value = value.Length >= 32 ? value : throw new ArgumentException("A signing key needs 32 bytes.");
        _hmacs = new[] { value }.Concat((previous ?? []).Where(p => !p.AsSpan().SequenceEqual(value)))
            .Select(key => new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key)))
            .ToArray();
    }

    /// <summary>HMAC-SHA256 of the data with the current key, into the first 32 bytes of mac.</summary>
    public void Sign(ReadOnlySpan<byte> data, Span<byte> mac) => Sign(0, data, mac);

    /// <summary>Whether <paramref name="mac"/> is the start of the data's HMAC under the current key or a previous one.</summary>
    public bool Verifies(ReadOnlySpan<byte> data, ReadOnlySpan<byte> mac)
    {
        Span<byte> expected = stackalloc byte[32];
        var matched = false;
        for (var i = 0; i < _hmacs.Length; i++)
        {
            Sign(i, data, expected);
            matched |= CryptographicOperations.FixedTimeEquals(expected[..mac.Length], mac);
        }
        return _hmacs.Length > 0 && matched;
    }

    private void Sign(int index, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (_hmacs.Length == 0) throw new InvalidOperationException("The signing key has not been loaded yet.");
        var hmac = _hmacs[index].Value!;
        hmac.AppendData(data);
        hmac.GetHashAndReset(mac);
    }
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

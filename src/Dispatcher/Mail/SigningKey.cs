using System.Security.Cryptography;

namespace Dispatcher.Mail;

/// <summary>The key that signs subscriber tokens and return paths, loaded once at start, and the keys it replaced
/// (Dispatcher:PreviousSigningKeys, or the kept key's earlier values): links already sent still verify, nothing new is
/// signed with them.</summary>
public sealed class SigningKey
{
    private byte[]? _value;

    // One HMAC per thread and key, reused: HMACSHA256.HashData sets OpenSSL's algorithm up on every call, nearly doubling
    // the cost, and every message signs three values.
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

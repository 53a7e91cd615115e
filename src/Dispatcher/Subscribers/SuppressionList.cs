using System.Security.Cryptography;
using System.Text;
using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

/// <summary>The salt of the suppression list's hashes; loaded once at start (see InstallationSecrets).</summary>
public sealed class SuppressionSalt
{
    private byte[]? _value;

    public byte[] Value => _value ?? throw new InvalidOperationException("The suppression salt has not been loaded yet.");

    public void Set(byte[] value) => _value = value;

    /// <summary>Hex HMAC-SHA256 of a normalised address.</summary>
    public string Hash(string normalisedEmail) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Value, Encoding.UTF8.GetBytes(normalisedEmail)));
}

/// <summary>Addresses that are never mailed again: erased people, kept only as salted hashes.</summary>
public sealed class SuppressionList(DispatcherDb db, SuppressionSalt salt, TimeProvider clock)
{
    public Task<bool> ContainsAsync(string normalisedEmail, CancellationToken cancellationToken)
    {
        var hash = salt.Hash(normalisedEmail);
        return db.Suppressions.AnyAsync(s => s.AddressHash == hash, cancellationToken);
    }

    /// <summary>Which of these addresses are suppressed (one query for a whole import batch).</summary>
    public async Task<HashSet<string>> FindAsync(IReadOnlyCollection<string> normalisedEmails, CancellationToken cancellationToken)
    {
        var byHash = normalisedEmails.Distinct().ToDictionary(salt.Hash);
        var hashes = byHash.Keys.ToList();
        var found = await db.Suppressions.Where(s => hashes.Contains(s.AddressHash)).Select(s => s.AddressHash).ToListAsync(cancellationToken);
        return found.Select(h => byHash[h]).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Adds the address to the unit of work's suppressions (saved with the caller's changes).</summary>
    public async Task AddAsync(string normalisedEmail, string reason, CancellationToken cancellationToken)
    {
        var hash = salt.Hash(normalisedEmail);
        if (await db.Suppressions.AnyAsync(s => s.AddressHash == hash, cancellationToken)) return;
        db.Suppressions.Add(new Suppression { AddressHash = hash, Reason = reason, CreatedAt = clock.GetUtcNow().UtcDateTime });
    }

    /// <summary>The person confirmed a sign-up themselves: they may be mailed again.</summary>
    public Task<int> LiftAsync(string normalisedEmail, CancellationToken cancellationToken)
    {
        var hash = salt.Hash(normalisedEmail);
        return db.Suppressions.Where(s => s.AddressHash == hash).ExecuteDeleteAsync(cancellationToken);
    }
}

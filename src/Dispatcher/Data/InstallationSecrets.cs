using System.Security.Cryptography;
using System.Text.Json;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Data;

/// <summary>Installation-wide secrets every process must share, generated once and kept in the database (a Web
/// process and its Workers may not share a disk): the key that signs subscriber links (unless Dispatcher:SigningKey
/// is set) and the salt of the suppression list's hashes.</summary>
public sealed class InstallationSecrets(DispatcherDb db, IOptions<DispatcherOptions> options)
{
    private const string SigningKeyName = "signing-key";
    private const string PreviousSigningKeysName = "signing-key.previous";

    /// <summary>How many replaced keys <see cref="RotateSigningKeyAsync"/> keeps accepting.</summary>
    public const int KeptPreviousKeys = 3;

    /// <summary>The key to sign with, and the keys whose links are still accepted: Dispatcher:PreviousSigningKeys and,
    /// when a key is configured, the generated one it took over from (so setting a key breaks no link already sent).</summary>
    public async Task<(byte[] Current, List<byte[]> Previous)> SigningKeysAsync(CancellationToken cancellationToken)
    {
        var configured = options.Value.SigningKey;
        var previous = options.Value.PreviousSigningKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(Decode).ToList();
        previous.AddRange(await KeptPreviousAsync(cancellationToken));
        if (string.IsNullOrWhiteSpace(configured)) return (await GetOrCreateAsync(SigningKeyName, cancellationToken), previous);

        if (await ReadAsync(SigningKeyName, cancellationToken) is { } generated) previous.Add(generated);
        return (Decode(configured), previous);
    }

    /// <summary>Separate from the signing key, so rotating that key never forgets who must not be mailed.</summary>
    public Task<byte[]> SuppressionSaltAsync(CancellationToken cancellationToken) => GetOrCreateAsync("suppression-salt", cancellationToken);

    /// <summary>Replaces the kept signing key with a new random one; the old one is still accepted (with the
    /// <see cref="KeptPreviousKeys"/> before it) until it falls off the end. Processes load keys at start: restart them.</summary>
    public async Task RotateSigningKeyAsync(CancellationToken cancellationToken)
    {
        var current = await GetOrCreateAsync(SigningKeyName, cancellationToken);
        var previous = (await KeptPreviousAsync(cancellationToken)).Prepend(current).Take(KeptPreviousKeys).Select(Convert.ToBase64String).ToList();
        await UpsertAsync(PreviousSigningKeysName, JsonSerializer.Serialize(previous), cancellationToken);
        await UpsertAsync(SigningKeyName, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), cancellationToken);
    }

    private static byte[] Decode(string key) =>
        SigningKeys.TryDecode(key, out var bytes) ? bytes : throw new InvalidOperationException(SigningKeys.Requirement("Dispatcher:SigningKey"));

    private async Task<List<byte[]>> KeptPreviousAsync(CancellationToken cancellationToken)
    {
        var stored = await db.Settings.AsNoTracking().Where(s => s.Key == PreviousSigningKeysName).Select(s => s.Value).SingleOrDefaultAsync(cancellationToken);
        return stored is null ? [] : (JsonSerializer.Deserialize<List<string>>(stored) ?? []).Select(Convert.FromBase64String).ToList();
    }

    private async Task<byte[]?> ReadAsync(string name, CancellationToken cancellationToken)
    {
        var stored = await db.Settings.AsNoTracking().Where(s => s.Key == name).Select(s => s.Value).SingleOrDefaultAsync(cancellationToken);
        return stored is null ? null : Convert.FromBase64String(stored);
    }

    private async Task UpsertAsync(string name, string value, CancellationToken cancellationToken)
    {
        if (await db.Settings.Where(s => s.Key == name).ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, value), cancellationToken) > 0) return;
        db.Settings.Add(new Setting { Key = name, Value = value });
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }

    private async Task<byte[]> GetOrCreateAsync(string name, CancellationToken cancellationToken)
    {
        if (await ReadAsync(name, cancellationToken) is { } stored) return stored;

        db.Settings.Add(new Setting { Key = name, Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another process created it first: use theirs.
        }
        db.ChangeTracker.Clear();
        return await ReadAsync(name, cancellationToken) ?? throw new InvalidOperationException($"The setting '{name}' could not be stored.");
    }
}

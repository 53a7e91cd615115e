using System.Security.Cryptography;
using System.Text;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Data;

/// <summary>Installation-wide secrets every process must share, generated once and kept in the database (a Web
/// process and its Workers may not share a disk): the key that signs subscriber links (unless Dispatcher:SigningKey
/// is set) and the salt of the suppression list's hashes.</summary>
public sealed class InstallationSecrets(DispatcherDb db, IOptions<DispatcherOptions> options)
{
    public async Task<byte[]> SigningKeyAsync(CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(options.Value.SigningKey)
            ? await GetOrCreateAsync("signing-key", cancellationToken)
            : SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.SigningKey));

    /// <summary>Separate from the signing key, so rotating that key never forgets who must not be mailed.</summary>
    public Task<byte[]> SuppressionSaltAsync(CancellationToken cancellationToken) => GetOrCreateAsync("suppression-salt", cancellationToken);

    private async Task<byte[]> GetOrCreateAsync(string name, CancellationToken cancellationToken)
    {
        var stored = await db.Settings.AsNoTracking().SingleOrDefaultAsync(s => s.Key == name, cancellationToken);
        if (stored is not null) return Convert.FromBase64String(stored.Value);

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
        stored = await db.Settings.AsNoTracking().SingleAsync(s => s.Key == name, cancellationToken);
        return Convert.FromBase64String(stored.Value);
    }
}

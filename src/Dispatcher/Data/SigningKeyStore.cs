using System.Security.Cryptography;
using System.Text;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Data;

/// <summary>The HMAC key for subscriber tokens: Dispatcher:SigningKey when set, otherwise generated once and kept in the
/// database, so a Web process and its Workers (which may not share a disk) sign and check the same links.</summary>
public sealed class SigningKeyStore(DispatcherDb db, IOptions<DispatcherOptions> options)
{
    private const string SettingKey = "signing-key";

    public async Task<byte[]> GetOrCreateAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.Value.SigningKey))
            return SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.SigningKey));

        var stored = await db.Settings.AsNoTracking().SingleOrDefaultAsync(s => s.Key == SettingKey, cancellationToken);
        if (stored is not null) return Convert.FromBase64String(stored.Value);

        db.Settings.Add(new Setting { Key = SettingKey, Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another process created it first: use theirs.
            db.ChangeTracker.Clear();
        }
        stored = await db.Settings.AsNoTracking().SingleAsync(s => s.Key == SettingKey, cancellationToken);
        return Convert.FromBase64String(stored.Value);
    }
}

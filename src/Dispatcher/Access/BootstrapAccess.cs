using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Access;

/// <summary>Creates or updates the admin API key named by Dispatcher:Bootstrap:ApiKey, for deployments and scripts.</summary>
public sealed class BootstrapAccess(DispatcherDb db, IOptions<DispatcherOptions> options, TimeProvider clock, ILogger<BootstrapAccess> logger)
{
    public async Task EnsureApiKeyAsync(CancellationToken cancellationToken)
    {
        var value = options.Value.Bootstrap.ApiKey;
        if (string.IsNullOrWhiteSpace(value)) return;

        var hash = ApiKeyHash.Of(value);
        var existing = await db.ApiKeys.Where(k => k.IsBootstrap || k.KeyHash == hash).ToListAsync(cancellationToken);
        if (existing.Any(k => k.KeyHash == hash && k.RevokedAt == null && k.Role == Role.Admin)) return;

        var key = existing.FirstOrDefault(k => k.KeyHash == hash) ?? existing.FirstOrDefault();
        if (key is null)
        {
            key = new ApiKey { Name = "bootstrap", KeyHash = hash, Prefix = Prefix(value), IsBootstrap = true, CreatedAt = clock.GetUtcNow().UtcDateTime };
            db.ApiKeys.Add(key);
        }
        key.KeyHash = hash;
        key.Prefix = Prefix(value);
        key.Role = Role.Admin;
        key.RevokedAt = null;
        key.IsBootstrap = true;
        db.Audit.Add(AuditLog.Entry(clock, Caller.System, "key.bootstrapped", "key:bootstrap", "from Dispatcher:Bootstrap:ApiKey"));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            logger.LogInformation("Bootstrap API key is ready (admin role)");
        }
        catch (DbUpdateException)
        {
            // Another process started at the same moment and wrote the same key.
            db.ChangeTracker.Clear();
        }
    }

    private static string Prefix(string key) => key.Length <= 8 ? "…" : key[..8];
}

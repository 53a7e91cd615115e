using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Access;

/// <summary>Creates or updates the admin API key named by Dispatcher:Bootstrap:ApiKey, for deployments and scripts,
/// and the admin login named by Dispatcher:Bootstrap:AdminEmail/AdminPassword — or, when there is no admin at all and
/// no such setting, an admin login with a generated password that is printed once.</summary>
public sealed class BootstrapAccess(
    DispatcherDb db,
    IOptions<DispatcherOptions> options,
    IOptions<Mail.MailOptions> mail,
    TimeProvider clock,
    ILogger<BootstrapAccess> logger)
{
    /// <returns>The email and password of an admin created with a generated password (to print once), else null.</returns>
    public async Task<(string Email, string Password)?> EnsureAdminAsync(CancellationToken cancellationToken)
    {
        var bootstrap = options.Value.Bootstrap;
        var now = clock.GetUtcNow().UtcDateTime;
        string email;
        string password;
        var generated = false;
        if (!string.IsNullOrWhiteSpace(bootstrap.AdminEmail))
        {
            email = bootstrap.AdminEmail.Trim().ToLowerInvariant();
            var existing = await db.Users.SingleOrDefaultAsync(u => u.Email == email, cancellationToken);
            if (existing is not null && string.IsNullOrEmpty(bootstrap.AdminPassword)) return null;
            if (existing is not null)
            {
                if (new Microsoft.AspNetCore.Identity.PasswordHasher<User>().VerifyHashedPassword(existing, existing.PasswordHash, bootstrap.AdminPassword!)
                    != Microsoft.AspNetCore.Identity.PasswordVerificationResult.Failed && existing.Role == Role.Admin && existing.DisabledAt is null)
                    return null;
                existing.PasswordHash = UserLogins.Hash(existing, bootstrap.AdminPassword!);
                existing.Role = Role.Admin;
                existing.DisabledAt = null;
                existing.LockedUntil = null;
                existing.SecurityStamp = UserLogins.NewStamp();
                db.Audit.Add(AuditLog.Entry(clock, Caller.System, "user.bootstrapped", $"user:{existing.Id}", "from Dispatcher:Bootstrap"));
                await SaveQuietlyAsync(cancellationToken);
                return null;
            }
            password = string.IsNullOrEmpty(bootstrap.AdminPassword) ? UserLogins.NewPassword() : bootstrap.AdminPassword;
            generated = string.IsNullOrEmpty(bootstrap.AdminPassword);
        }
        else
        {
            if (await db.Users.AnyAsync(u => u.Role == Role.Admin && u.DisabledAt == null, cancellationToken)) return null;
            email = $"admin@{mail.Value.Domain}";
            password = UserLogins.NewPassword();
            generated = true;
        }

        var user = new User
        {
            Email = email, Name = "Administrator", Role = Role.Admin, PasswordHash = "", SecurityStamp = UserLogins.NewStamp(), CreatedAt = now,
            MustChangePassword = generated, // it went to the console: whoever reads that chooses their own at once
        };
        user.PasswordHash = UserLogins.Hash(user, password);
        db.Users.Add(user);
        db.Audit.Add(AuditLog.Entry(clock, Caller.System, "user.bootstrapped", $"user:{email}", generated ? "with a generated password" : "from Dispatcher:Bootstrap"));
        return await SaveQuietlyAsync(cancellationToken) && generated ? (email, password) : null;
    }

    /// <summary>Another process starting at the same moment may have written the same row: theirs stands.</summary>
    private async Task<bool> SaveQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }

    public async Task EnsureApiKeyAsync(CancellationToken cancellationToken)
    {
        // The operator chose this key, so no part of it is kept in clear (earlier versions kept its first characters).
        await db.ApiKeys.Where(k => k.IsBootstrap && k.Prefix != "").ExecuteUpdateAsync(s => s.SetProperty(k => k.Prefix, ""), cancellationToken);
        var value = options.Value.Bootstrap.ApiKey;
        if (string.IsNullOrWhiteSpace(value)) return;

        var hash = ApiKeyHash.Of(value);
        var existing = await db.ApiKeys.Where(k => k.IsBootstrap || k.KeyHash == hash).ToListAsync(cancellationToken);
        if (existing.Any(k => k.KeyHash == hash && k.RevokedAt == null && k.Role == Role.Admin)) return;

        var key = existing.FirstOrDefault(k => k.KeyHash == hash) ?? existing.FirstOrDefault();
        if (key is null)
        {
            key = new ApiKey { Name = "bootstrap", KeyHash = hash, Prefix = "", IsBootstrap = true, CreatedAt = clock.GetUtcNow().UtcDateTime };
            db.ApiKeys.Add(key);
        }
        key.KeyHash = hash;
        key.Prefix = "";
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
}

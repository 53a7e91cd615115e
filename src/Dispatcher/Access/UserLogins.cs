using System.Security.Claims;
using System.Security.Cryptography;
using Dispatcher.Audit;
using Dispatcher.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Access;

/// <summary>Passwords (ASP.NET Core Identity's PBKDF2 hasher), lock-out after repeated failures, and the claims of a
/// logged-in user — the same role and list claims an API key carries, so every policy and check serves both.</summary>
public sealed class UserLogins(DispatcherDb db, TimeProvider clock)
{
    public const int MaxFailedLogins = 5;
    public static readonly TimeSpan LockOut = TimeSpan.FromMinutes(15);
    public const string StampClaim = "dispatcher:stamp";

    private static readonly PasswordHasher<User> Hasher = new();

    /// <summary>Hashed once so a login for an unknown address costs as much as one for a known address.</summary>
    private static readonly string DummyHash = Hasher.HashPassword(null!, "not-a-password");

    public abstract record LoginResult
    {
        public sealed record Success(ClaimsPrincipal Principal) : LoginResult;
        public sealed record Failed(string Message) : LoginResult;
    }

    public async Task<LoginResult> LoginAsync(string? email, string? password, CancellationToken cancellationToken)
    {
        const string wrong = "The email address or the password is wrong.";
        var normalised = email?.Trim().ToLowerInvariant() ?? "";
        var user = await db.Users.SingleOrDefaultAsync(u => u.Email == normalised, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        if (user is null || user.DisabledAt is not null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash, password ?? "");
            return new LoginResult.Failed(wrong);
        }
        if (user.LockedUntil > now)
            return new LoginResult.Failed($"Too many failed attempts: try again in {Math.Ceiling((user.LockedUntil.Value - now).TotalMinutes)} minutes.");

        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "");
        if (verdict == PasswordVerificationResult.Failed)
        {
            if (++user.FailedLogins >= MaxFailedLogins)
            {
                user.LockedUntil = now + LockOut;
                user.FailedLogins = 0;
                db.Audit.Add(AuditLog.Entry(clock, $"user:{user.Id} ({user.Email})", "user.locked", $"user:{user.Id}", $"after {MaxFailedLogins} failed logins"));
            }
            await db.SaveChangesAsync(cancellationToken);
            return new LoginResult.Failed(wrong);
        }

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = Hasher.HashPassword(user, password!);
        user.FailedLogins = 0;
        user.LockedUntil = null;
        user.LastLoginAt = now;
        db.Audit.Add(AuditLog.Entry(clock, $"user:{user.Id} ({user.Email})", "user.login", $"user:{user.Id}"));
        await db.SaveChangesAsync(cancellationToken);
        return new LoginResult.Success(PrincipalFor(user));
    }

    public static ClaimsPrincipal PrincipalFor(User user)
    {
        var identity = new ClaimsIdentity(AccessExtensions.CookieScheme, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, $"user:{user.Id}"));
        identity.AddClaim(new Claim(ClaimTypes.Name, user.Email));
        identity.AddClaim(new Claim(ClaimTypes.Role, user.Role.ToString()));
        identity.AddClaim(new Claim(StampClaim, user.SecurityStamp));
        foreach (var slug in user.Lists) identity.AddClaim(new Claim(Caller.ListClaim, slug));
        return new ClaimsPrincipal(identity);
    }

    public static string Hash(User user, string password) => Hasher.HashPassword(user, password);

    public static string NewStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>A strong password a person can type: 20 characters from an alphabet without look-alikes.</summary>
    public static string NewPassword()
    {
        const string alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return string.Create(20, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    /// <summary>Ends a session whose user is gone, disabled, or changed (password, role, lists) since it began.</summary>
    public async Task<bool> IsCurrentAsync(ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (id is null || !id.StartsWith("user:", StringComparison.Ordinal) || !int.TryParse(id[5..], out var userId)) return false;
        var stamp = principal.FindFirstValue(StampClaim);
        return await db.Users.AnyAsync(u => u.Id == userId && u.DisabledAt == null && u.SecurityStamp == stamp, cancellationToken);
    }
}

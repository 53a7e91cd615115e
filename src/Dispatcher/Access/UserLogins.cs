using System.Security.Claims;
using System.Security.Cryptography;
using Dispatcher.Audit;
using Dispatcher.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Access;

/// <summary>Passwords (ASP.NET Core Identity's PBKDF2 hasher), lock-out after repeated failures, and the claims of a
/// logged-in user — the same role and list claims an API key carries, so every policy and check serves both.</summary>
/// <remarks>Failures are counted by the database (one conditional UPDATE each), not read, incremented and saved: twenty
/// guesses sent at once must count twenty. Every failure — unknown address, wrong password, disabled or locked account
/// — gets the same answer after the same work (one password hash), so a guesser learns nothing about the account.</remarks>
public sealed class UserLogins(DispatcherDb db, TimeProvider clock, IOptions<LoginOptions> options)
{
    public const string StampClaim = "dispatcher:stamp";
    public const string MustChangePasswordClaim = "dispatcher:must-change-password";
    public const string Wrong = "The email address or the password is wrong, or the account is locked for a while.";

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
        var normalised = email?.Trim().ToLowerInvariant() ?? "";
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == normalised, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        if (user is null || user.DisabledAt is not null || user.LockedUntil > now)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash, password ?? "");
            return new LoginResult.Failed(Wrong);
        }

        var verdict = Hasher.VerifyHashedPassword(user, user.PasswordHash, password ?? "");
        if (verdict == PasswordVerificationResult.Failed)
        {
            await RecordFailureAsync(user, now, cancellationToken);
            return new LoginResult.Failed(Wrong);
        }

        // Only while not locked: guesses running in parallel may have locked it since it was read.
        var rehashed = verdict == PasswordVerificationResult.SuccessRehashNeeded ? Hasher.HashPassword(user, password!) : user.PasswordHash;
        var admitted = await db.Users.Where(u => u.Id == user.Id && (u.LockedUntil == null || u.LockedUntil <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedLogins, 0).SetProperty(u => u.FailedLoginsSince, (DateTime?)null)
                .SetProperty(u => u.LockedUntil, (DateTime?)null).SetProperty(u => u.LastLoginAt, now)
                .SetProperty(u => u.PasswordHash, rehashed), cancellationToken);
        if (admitted == 0) return new LoginResult.Failed(Wrong);
        db.Audit.Add(AuditLog.Entry(clock, $"user:{user.Id} ({user.Email})", "user.login", $"user:{user.Id}"));
        await db.SaveChangesAsync(cancellationToken);
        return new LoginResult.Success(PrincipalFor(user));
    }

    /// <summary>Counts one failure in the database; the request that reaches the limit locks the account (once: the
    /// others find it locked already) and audits it.</summary>
    private async Task RecordFailureAsync(User user, DateTime now, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var windowStart = now - limits.FailureWindow;
        await db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.FailedLogins, u => u.FailedLoginsSince == null || u.FailedLoginsSince < windowStart ? 1 : u.FailedLogins + 1)
            .SetProperty(u => u.FailedLoginsSince, u => u.FailedLoginsSince == null || u.FailedLoginsSince < windowStart ? now : u.FailedLoginsSince),
            cancellationToken);
        var lockedUntil = now + limits.LockoutDuration;
        var locked = await db.Users.Where(u => u.Id == user.Id && u.FailedLogins >= limits.MaxFailures && (u.LockedUntil == null || u.LockedUntil <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.LockedUntil, lockedUntil).SetProperty(u => u.FailedLogins, 0)
                .SetProperty(u => u.FailedLoginsSince, (DateTime?)null), cancellationToken);
        if (locked == 0) return;
        db.Audit.Add(AuditLog.Entry(clock, $"user:{user.Id} ({user.Email})", "user.locked", $"user:{user.Id}",
            $"after {limits.MaxFailures} failed logins within {limits.FailureWindow.TotalMinutes:0} min, until {lockedUntil:u}"));
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The user changes their own password: the current one must be right; the new one long enough and new.
    /// Returns the new principal (the security stamp changes, ending the user's other sessions), or why not.</summary>
    public async Task<(ClaimsPrincipal? Principal, string? Error)> ChangePasswordAsync(int userId, string? current, string? chosen, string? repeated,
        CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == userId && u.DisabledAt == null, cancellationToken);
        if (user is null) return (null, "Your account is gone or disabled.");
        if (Hasher.VerifyHashedPassword(user, user.PasswordHash, current ?? "") == PasswordVerificationResult.Failed)
        {
            await RecordFailureAsync(user, clock.GetUtcNow().UtcDateTime, cancellationToken);
            return (null, "The current password is wrong.");
        }
        if (ProblemWith(chosen, user.Email) is { } problem) return (null, problem);
        if (chosen != repeated) return (null, "The two new passwords differ.");
        if (chosen == current) return (null, "Choose a password other than the current one.");

        user.PasswordHash = Hash(user, chosen!);
        user.SecurityStamp = NewStamp();
        user.MustChangePassword = false;
        db.Audit.Add(AuditLog.Entry(clock, $"user:{user.Id} ({user.Email})", "user.password-changed", $"user:{user.Id}"));
        await db.SaveChangesAsync(cancellationToken);
        return (PrincipalFor(user), null);
    }

    /// <summary>What is wrong with a password someone chose; null when nothing.</summary>
    public static string? ProblemWith(string? password, string email) =>
        password is null || password.Length < LoginOptions.MinimumPasswordLength ? $"A password has at least {LoginOptions.MinimumPasswordLength} characters."
        : password.Length > 200 ? "A password has at most 200 characters."
        : password.Contains(email.Split('@')[0], StringComparison.OrdinalIgnoreCase) && email.Split('@')[0].Length >= 4 ? "A password must not contain your email address."
        : null;

    public static ClaimsPrincipal PrincipalFor(User user)
    {
        var identity = new ClaimsIdentity(AccessExtensions.CookieScheme, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, $"user:{user.Id}"));
        identity.AddClaim(new Claim(ClaimTypes.Name, user.Email));
        identity.AddClaim(new Claim(ClaimTypes.Role, user.Role.ToString()));
        identity.AddClaim(new Claim(StampClaim, user.SecurityStamp));
        if (user.MustChangePassword) identity.AddClaim(new Claim(MustChangePasswordClaim, "true"));
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

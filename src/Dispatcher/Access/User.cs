namespace Dispatcher.Access;

/// <summary>A person who logs in to the admin UI. The password is kept as ASP.NET Core Identity's PBKDF2 hash.</summary>
public sealed class User
{
    public int Id { get; set; }
    public required string Email { get; set; }
    public string? Name { get; set; }
    public Role Role { get; set; }

    /// <summary>Slugs of the lists an organiser may act on.</summary>
    public List<string> Lists { get; set; } = [];

    public required string PasswordHash { get; set; }

    /// <summary>Failed logins since <see cref="FailedLoginsSince"/>; at Logins:MaxFailures the account is locked.</summary>
    public int FailedLogins { get; set; }

    /// <summary>The first failure of the current count; one older than Logins:FailureWindow starts the count again.</summary>
    public DateTime? FailedLoginsSince { get; set; }

    /// <summary>The password was generated or set by someone else: the user must choose their own before anything else.</summary>
    public bool MustChangePassword { get; set; }

    public DateTime? LockedUntil { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastLoginAt { get; set; }

    /// <summary>A disabled user cannot log in, and an open session ends at its next request.</summary>
    public DateTime? DisabledAt { get; set; }

    /// <summary>Changes when the password, role or lists change, ending the user's open sessions.</summary>
    public required string SecurityStamp { get; set; }
}

using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Access;

/// <summary>The "Logins" section: how the admin login resists guessing.</summary>
public sealed class LoginOptions
{
    public const string Section = "Logins";

    /// <summary>Wrong passwords for one account within <see cref="FailureWindow"/> that lock it.</summary>
    [Range(1, 1000)] public int MaxFailures { get; set; } = 5;

    /// <summary>How far back failures count; an older first failure starts the count again.</summary>
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a locked account refuses every password, the right one included.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Login (and password change) posts per client address per minute, whatever the account.</summary>
    [Range(1, 100_000)] public int AttemptsPerMinutePerClient { get; set; } = 10;

    public const int MinimumPasswordLength = 12;

    public string? Problem =>
        FailureWindow <= TimeSpan.Zero ? "Logins:FailureWindow must be longer than zero (e.g. 00:15:00)."
        : LockoutDuration <= TimeSpan.Zero ? "Logins:LockoutDuration must be longer than zero (e.g. 00:15:00)."
        : null;
}

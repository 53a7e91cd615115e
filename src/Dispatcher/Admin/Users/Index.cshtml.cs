using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Lists;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Users;

/// <summary>People who log in: create (a generated password is shown once), disable, new password. A change ends the
/// user's open sessions (their security stamp changes).</summary>
[Authorize(Policy = Policies.Admin)]
public sealed class UsersModel(DispatcherDb db, TimeProvider clock) : AdminPage
{
    public List<User> Users { get; private set; } = [];
    public List<MailingList> Lists { get; private set; } = [];
    public string? NewSecret { get; private set; }
    public string? NewSecretFor { get; private set; }
    public string MyId => Caller.Id.StartsWith("user:") ? Caller.Id[5..] : "";

    public Task OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(string? email, string? name, string? role, List<string>? lists, string? password, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryNormalise(email, out var normalised, out var error)) return Failed(error);
        normalised = normalised.ToLowerInvariant();
        Role? parsed = role switch { "admin" => Role.Admin, "organiser" => Role.Organiser, "publisher" => Role.Publisher, _ => null };
        if (parsed is null) return Failed("Choose a role.");
        if (!string.IsNullOrEmpty(password) && UserLogins.ProblemWith(password, normalised) is { } weak) return Failed(weak);
        if (await db.Users.AnyAsync(u => u.Email == normalised, cancellationToken)) return Failed($"{normalised} has an account already.");

        var secret = string.IsNullOrEmpty(password) ? UserLogins.NewPassword() : password;
        var user = new User
        {
            Email = normalised, Name = string.IsNullOrWhiteSpace(name) ? null : name.Trim(), Role = parsed.Value,
            Lists = parsed == Role.Organiser ? lists ?? [] : [], PasswordHash = "", SecurityStamp = UserLogins.NewStamp(),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            MustChangePassword = true, // an admin knows it: the person chooses their own at the first login
        };
        user.PasswordHash = UserLogins.Hash(user, secret);
        db.Users.Add(user);
        db.Audit.Add(AuditLog.Entry(clock, Caller, "user.created", $"user:{normalised}", parsed.Value.ToString().ToLowerInvariant()));
        await db.SaveChangesAsync(cancellationToken);
        if (string.IsNullOrEmpty(password)) (NewSecret, NewSecretFor) = (secret, normalised);
        Notice($"{normalised} can log in now.");
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostToggleAsync(int id, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null) return NotFound();
        if ($"user:{id}" == Caller.Id) return Failed("You cannot disable yourself.");
        user.DisabledAt = user.DisabledAt is null ? clock.GetUtcNow().UtcDateTime : null;
        user.SecurityStamp = UserLogins.NewStamp();
        db.Audit.Add(AuditLog.Entry(clock, Caller, user.DisabledAt is null ? "user.enabled" : "user.disabled", $"user:{id}", user.Email));
        await db.SaveChangesAsync(cancellationToken);
        return Done($"{user.Email} is {(user.DisabledAt is null ? "enabled" : "disabled")}.");
    }

    public async Task<IActionResult> OnPostResetAsync(int id, CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == id, cancellationToken);
        if (user is null) return NotFound();
        var secret = UserLogins.NewPassword();
        user.PasswordHash = UserLogins.Hash(user, secret);
        user.SecurityStamp = UserLogins.NewStamp();
        user.LockedUntil = null;
        user.FailedLogins = 0;
        user.FailedLoginsSince = null;
        user.MustChangePassword = true;
        db.Audit.Add(AuditLog.Entry(clock, Caller, "user.password-reset", $"user:{id}", user.Email));
        await db.SaveChangesAsync(cancellationToken);
        (NewSecret, NewSecretFor) = (secret, user.Email);
        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(cancellationToken);
        Lists = await db.Lists.AsNoTracking().OrderBy(l => l.Name).ToListAsync(cancellationToken);
    }
}

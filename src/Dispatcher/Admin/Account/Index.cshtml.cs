using Dispatcher.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace Dispatcher.Admin.Account;

/// <summary>The logged-in person's own password. A password someone else set or generated (the first admin's, a new
/// user's, a reset) must be changed here before any other page opens (<see cref="PasswordChangeFirst"/>).</summary>
[EnableRateLimiting(AccessExtensions.LoginPolicy)]
public sealed class AccountModel(UserLogins logins) : AdminPage
{
    public bool MustChange => User.HasClaim(c => c.Type == UserLogins.MustChangePasswordClaim);
    public bool IsUser => Caller.Id.StartsWith("user:", StringComparison.Ordinal);
    public string? Error { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(string? current, string? chosen, string? repeated, CancellationToken cancellationToken)
    {
        if (!IsUser || !int.TryParse(Caller.Id[5..], out var userId)) return Forbidden();
        var (principal, error) = await logins.ChangePasswordAsync(userId, current, chosen, repeated, cancellationToken);
        if (principal is null)
        {
            Error = error;
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }
        await HttpContext.SignInAsync(AccessExtensions.CookieScheme, principal, new AuthenticationProperties { IsPersistent = false });
        Flash = "Your password is changed. Your other sessions have ended.";
        return Redirect("/admin");
    }
}

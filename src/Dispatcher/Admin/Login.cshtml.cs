using Dispatcher.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Dispatcher.Admin;

/// <summary>Email and password, with an antiforgery token like every form (a post without one is refused), lock-out
/// after repeated failures, a limit per client address, and one answer for every failure.</summary>
[AllowAnonymous]
[EnableRateLimiting(AccessExtensions.LoginPolicy)]
public sealed class LoginModel(UserLogins logins) : PageModel
{
    [BindProperty] public string? Email { get; set; }
    [BindProperty] public string? Password { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    public string? Error { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var result = await logins.LoginAsync(Email, Password, cancellationToken);
        if (result is UserLogins.LoginResult.Failed failed)
        {
            Error = failed.Message;
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }
        var principal = ((UserLogins.LoginResult.Success)result).Principal;
        await HttpContext.SignInAsync(AccessExtensions.CookieScheme, principal, new AuthenticationProperties { IsPersistent = false });
        if (principal.HasClaim(c => c.Type == UserLogins.MustChangePasswordClaim)) return LocalRedirect("/admin/account");
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) && ReturnUrl!.StartsWith("/admin") ? ReturnUrl : "/admin");
    }
}

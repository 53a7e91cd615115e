using Dispatcher.Access;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Dispatcher.Admin;

/// <summary>Someone logged in with a password they did not choose (generated at the first start, set by an admin) sees
/// only the page that changes it, and can log out: whoever else saw that password cannot use the account.</summary>
public sealed class PasswordChangeFirst : IAsyncPageFilter
{
    private static readonly string[] Allowed = ["/Admin/Account/Index", "/Admin/Logout", "/Admin/Login"];

    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        if (context.HttpContext.User.HasClaim(c => c.Type == UserLogins.MustChangePasswordClaim)
            && !Allowed.Contains(context.ActionDescriptor.ViewEnginePath, StringComparer.OrdinalIgnoreCase))
        {
            context.Result = new RedirectResult("/admin/account");
            return;
        }
        await next();
    }
}

using Dispatcher.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;

namespace Dispatcher.Access;

/// <summary>Authorization policies, one per role level. Every endpoint and admin page names the least role it needs.</summary>
public static class Policies
{
    public const string Admin = "admin";
    public const string Organiser = "organiser";
    public const string Publisher = "publisher";
}

public static class AccessExtensions
{
    public const string CookieScheme = "AdminCookie";
    private const string SelectScheme = "Dispatcher";

    /// <summary>API keys for /api, a login cookie for /admin: one policy scheme picks by path, so the same role
    /// policies protect both.</summary>
    public static WebApplicationBuilder AddAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(SelectScheme)
            .AddPolicyScheme(SelectScheme, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Path.StartsWithSegments("/admin") ? CookieScheme : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddCookie(CookieScheme, o =>
            {
                o.LoginPath = "/admin/login";
                o.LogoutPath = "/admin/logout";
                o.Cookie.Name = "dispatcher.admin";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest; // Secure whenever the site is served over https
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = async context =>
                {
                    var logins = context.HttpContext.RequestServices.GetRequiredService<UserLogins>();
                    if (context.Principal is null || !await logins.IsCurrentAsync(context.Principal, context.HttpContext.RequestAborted))
                    {
                        context.RejectPrincipal();
                        await context.HttpContext.SignOutAsync(CookieScheme);
                    }
                };
                // A page the user may not see is a 403 page, not a redirect.
                o.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireRole(nameof(Role.Admin)))
            .AddPolicy(Policies.Organiser, p => p.RequireRole(nameof(Role.Admin), nameof(Role.Organiser)))
            .AddPolicy(Policies.Publisher, p => p.RequireRole(nameof(Role.Admin), nameof(Role.Organiser), nameof(Role.Publisher)));

        // Cookies and antiforgery tokens must be readable by every Web process: keep the keys in the database.
        builder.Services.AddDataProtection().SetApplicationName("Dispatcher").PersistKeysToDbContext<DispatcherDb>();

        builder.Services.AddScoped<BootstrapAccess>();
        builder.Services.AddScoped<UserLogins>();
        return builder;
    }
}

using System.Threading.RateLimiting;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

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

    /// <summary>The rate limit on login and password-change posts.</summary>
    public const string LoginPolicy = "login";
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
                // Secure: see WebSecurity (https requests, or an https Dispatcher:PublicBaseUrl).
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

        builder.AddKeyRing();

        builder.Services.AddOptions<LoginOptions>().BindConfiguration(LoginOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LoginOptions>>(new OptionsProblem<LoginOptions>(o => o.Problem));
        builder.Services.AddRateLimiter(o => o.AddPolicy(LoginPolicy, http =>
        {
            // Per client address (the real one behind a trusted proxy), whatever account it tries.
            if (!HttpMethods.IsPost(http.Request.Method)) return RateLimitPartition.GetNoLimiter("read");
            var perMinute = http.RequestServices.GetRequiredService<IOptions<LoginOptions>>().Value.AttemptsPerMinutePerClient;
            return RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
        }));

        builder.Services.AddScoped<BootstrapAccess>();
        builder.Services.AddScoped<UserLogins>();
        return builder;
    }
}

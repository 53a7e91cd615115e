using Microsoft.AspNetCore.Authentication;

namespace Dispatcher.Access;

/// <summary>Authorization policies, one per role level. Every endpoint names the least role it needs.</summary>
public static class Policies
{
    public const string Admin = "admin";
    public const string Organiser = "organiser";
    public const string Publisher = "publisher";
}

public static class AccessExtensions
{
    public static WebApplicationBuilder AddAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireRole(nameof(Role.Admin)))
            .AddPolicy(Policies.Organiser, p => p.RequireRole(nameof(Role.Admin), nameof(Role.Organiser)))
            .AddPolicy(Policies.Publisher, p => p.RequireRole(nameof(Role.Admin), nameof(Role.Organiser), nameof(Role.Publisher)));

        builder.Services.AddScoped<BootstrapAccess>();
        return builder;
    }
}

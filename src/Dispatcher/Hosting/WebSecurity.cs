using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Mvc;

namespace Dispatcher.Hosting;

/// <summary>What every response carries and how the client is known behind a proxy: forwarded headers from
/// Dispatcher:TrustedProxies only, cookies that are Secure wherever the site is https, HSTS on https, and the headers
/// that keep pages from being framed, sniffed, or leaking their (token-bearing) addresses.</summary>
public static class WebSecurity
{
    /// <summary>No script but the app's own files (no inline script at all), no plugins, no framing, forms post only
    /// here. Inline styles are allowed: the email previews are HTML emails, whose styles are inline by nature (they show
    /// in sandboxed frames without scripts). Images may come from https: an organisation's logo in a preview.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; " +
        "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly object PolicyOverride = new();

    /// <summary>A stricter or more specific policy for one answer (the API reference page allows its own inline scripts by hash).</summary>
    public static void SetContentSecurityPolicy(HttpContext context, string policy) => context.Items[PolicyOverride] = policy;

    public const string PermissionsPolicy =
        "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()";

    public static WebApplicationBuilder AddWebSecurity(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(DispatcherOptions.Section).Get<DispatcherOptions>() ?? new DispatcherOptions();
        var trusted = options.TrustedProxyNetworks.ToList();
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear(); // not even loopback unless listed: a local process must not pose as a proxy
            o.KnownIPNetworks.Clear();
            foreach (var network in trusted) o.KnownIPNetworks.Add(network);
            o.ForwardLimit = null; // every hop from the right that is a trusted proxy, and no further
        });

        // https in the public address means https for the people using it, whatever the last hop says: the login and
        // TempData cookies are Secure then. The antiforgery cookie follows the request, because ASP.NET Core refuses to
        // serve a form at all over plain http when it must be Secure (a proxy not yet in TrustedProxies would mean no
        // login page); it holds no credential, only the pair of the form's token.
        var secure = options.PublicBaseUrlIsHttps ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        builder.Services.PostConfigureAll<CookieAuthenticationOptions>(o => o.Cookie.SecurePolicy = secure);
        builder.Services.Configure<AntiforgeryOptions>(o => o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        builder.Services.Configure<CookieTempDataProviderOptions>(o =>
        {
            o.Cookie.SecurePolicy = secure;
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = false; // the organisation's other sites are not ours to commit
        });
        return builder;
    }

    /// <summary>First in the pipeline, so that everything after it (rate limits, cookies, links) sees the real client.</summary>
    public static WebApplication UseWebSecurity(this WebApplication app)
    {
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DispatcherOptions>>().Value.TrustedProxyNetworks.Any())
            app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            // As the response starts: the exception handler clears the headers of a response it replaces.
            context.Response.OnStarting(static state =>
            {
                var response = (HttpResponse)state;
                var headers = response.Headers;
                headers.ContentSecurityPolicy = response.HttpContext.Items[PolicyOverride] as string ?? ContentSecurityPolicy;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer"; // subscriber pages carry their token in the address
                headers["Permissions-Policy"] = PermissionsPolicy;
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });
        app.UseHsts();
        return app;
    }
}

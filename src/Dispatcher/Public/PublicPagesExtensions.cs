using System.Threading.RateLimiting;
using Dispatcher.Subscribers;
using Microsoft.Extensions.Options;

namespace Dispatcher.Public;

public static class PublicPagesExtensions
{
    public const string SignUpPolicy = "sign-up";

    /// <summary>Razor Pages for subscribers (and the admin UI), and a per-IP limit on sign-up posts against bots.</summary>
    public static WebApplicationBuilder AddPublicPages(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<Mail.ITemplateSamples, Admin.Templates.WarmUpSamples>();
        builder.Services.AddRazorPages(o =>
        {
            o.RootDirectory = "/";
            // Every admin page needs a login; pages ask for more (organiser, admin) where they do more.
            o.Conventions.AuthorizeFolder("/Admin", Access.Policies.Publisher);
            o.Conventions.AllowAnonymousToPage("/Admin/Login");
            o.Conventions.AddFolderApplicationModelConvention("/Admin", page => page.Filters.Add(new Admin.PasswordChangeFirst()));
        });
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(SignUpPolicy, http =>
            {
                // Reading the form is free; posting it is limited per client address.
                if (!HttpMethods.IsPost(http.Request.Method)) return RateLimitPartition.GetNoLimiter("read");
                var perMinute = http.RequestServices.GetRequiredService<IOptions<SubscribersOptions>>().Value.SignUpsPerMinutePerClient;
                return RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            o.OnRejected = async (context, cancellationToken) =>
            {
                context.HttpContext.Response.ContentType = "text/html; charset=utf-8";
                await context.HttpContext.Response.WriteAsync(
                    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many attempts</title><link rel=\"stylesheet\" href=\"/public.css\"></head>" +
                    "<body><main class=\"card\"><h1>Too many attempts</h1><p>Please wait a minute and try again.</p></main></body></html>",
                    cancellationToken);
            };
        });
        return builder;
    }
}

using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Dispatcher.Hosting;

/// <summary>Bodies for bare status codes: problem details for the API, a plain page for people (admin UI, public pages).</summary>
public static class StatusPages
{
    public static WebApplication UseStatusPages(this WebApplication app)
    {
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            var status = http.Response.StatusCode;
            if (!IsForPeople(http.Request))
            {
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new ProblemDetails { Status = status },
                });
                return;
            }
            var (title, text) = status switch
            {
                403 => ("You may not see this page", "Your account is not allowed here. Ask an admin if you need it."),
                404 => ("There is no such page", "Check the address, or start again from the dashboard."),
                _ => ($"Error {status}", "Something did not work."),
            };
            await WritePageAsync(http, status, title, text);
        });
        return app;
    }

    /// <summary>Everything but the API, /health and /metrics is read by people in a browser.</summary>
    public static bool IsForPeople(HttpRequest request) =>
        !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/health") && !request.Path.StartsWithSegments("/metrics");

    /// <summary>A plain page with the status, a title and one sentence (and the way back to the dashboard in the admin UI).</summary>
    public static async Task WritePageAsync(HttpContext http, int status, string title, string text)
    {
        if (http.Response.HasStarted) return;
        http.Response.StatusCode = status;
        var home = http.Request.Path.StartsWithSegments("/admin") ? "<p><a href=\"/admin\">Back to the dashboard</a></p>" : "";
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync($"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{HtmlEncoder.Default.Encode(title)}</title><link rel="stylesheet" href="/admin.css"></head>
            <body><main class="login"><div class="card"><h1>{HtmlEncoder.Default.Encode(title)}</h1><p>{HtmlEncoder.Default.Encode(text)}</p>{home}</div></main></body></html>
            """);
    }
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>A real web server (Kestrel on a loopback port) playing the organisation's website: it serves feed files
/// that the test changes, answers conditional GETs with 304, and has a page that never answers.</summary>
public sealed class FeedSite : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (string Body, string ContentType, int Version)> _files = new();

    private FeedSite(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public int NotModifiedAnswers;
    public int Requests;

    public static async Task<FeedSite> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var site = new FeedSite(app);
        app.MapGet("/hang", async (CancellationToken ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct); // a server that accepts the request and never answers
            return Results.Ok();
        });
        app.MapGet("/{name}", (string name, HttpContext http) =>
        {
            Interlocked.Increment(ref site.Requests);
            if (!site._files.TryGetValue(name, out var file)) return Results.NotFound();
            var etag = $"\"v{file.Version}\"";
            if (http.Request.Headers.IfNoneMatch.ToString() == etag)
            {
                Interlocked.Increment(ref site.NotModifiedAnswers);
                return Results.StatusCode(StatusCodes.Status304NotModified);
            }
            http.Response.Headers.ETag = etag;
            return Results.Text(file.Body, file.ContentType);
        });
        await app.StartAsync();
        site.Address = new Uri(app.Urls.First());
        return site;
    }

    /// <summary>Publishes (or changes) a file; a change gets a new ETag.</summary>
    public void Serve(string name, string body, string contentType = "application/rss+xml")
    {
        _files.AddOrUpdate(name, (body, contentType, 1), (_, old) => (body, contentType, old.Version + 1));
    }

    public string Url(string name) => new Uri(Address, name).ToString();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    public static string Rss(params (string Guid, string Title, DateTimeOffset Published, string Html)[] items) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0"><channel>
          <title>Socialism From Below</title><link>https://example.org/</link><description>Statements</description>
          {string.Concat(items.Select(i => $"""
            <item>
              <guid isPermaLink="false">{i.Guid}</guid>
              <title>{System.Security.SecurityElement.Escape(i.Title)}</title>
              <link>https://example.org/statements/{i.Guid}</link>
              <author>ist@example.org (IST)</author>
              <pubDate>{i.Published:R}</pubDate>
              <description>{System.Security.SecurityElement.Escape(i.Html)}</description>
            </item>
            """))}
        </channel></rss>
        """;

    public static string Atom(params (string Link, string Title, DateTimeOffset Updated, string Html)[] entries) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom">
          <title>Socialism From Below</title><id>urn:example:feed</id><updated>{DateTimeOffset.UtcNow:O}</updated>
          {string.Concat(entries.Select(e => $"""
            <entry>
              <title>{System.Security.SecurityElement.Escape(e.Title)}</title>
              <link rel="alternate" href="{e.Link}"/>
              <id>{e.Link}</id>
              <updated>{e.Updated:O}</updated>
              <author><name>Alex Callinicos</name></author>
              <content type="html">{System.Security.SecurityElement.Escape(e.Html)}</content>
            </entry>
            """))}
        </feed>
        """;
}

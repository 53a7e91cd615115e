using System.Net;
using System.Net.Http.Headers;
using System.ServiceModel.Syndication;
using System.Xml;
using Dispatcher.Content;
using Dispatcher.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Feeds;

/// <summary>An item of the feed, as a statement would have it.</summary>
/// <param name="Links">Every absolute http(s) link of the item (its own and its alternates in other languages): how a
/// translation feed's item finds the statement it translates.</param>
public sealed record FeedItem(string ExternalId, string Title, string? Author, DateTime? PublishedAt, string? Summary, string? BodyHtml, string? Url,
    IReadOnlyList<string>? Links = null)
{
    /// <summary>Whether <paramref name="other"/> (from a feed in another language) is this item translated: the same
    /// guid, or a link in common (one names the other as its alternate, or both name the same page).</summary>
    public bool IsTranslatedBy(FeedItem other) =>
        string.Equals(ExternalId, other.ExternalId, StringComparison.Ordinal)
        || (Links ?? []).Append(Url).Intersect((other.Links ?? []).Append(other.Url), StringComparer.Ordinal).Any(l => l is not null);
}

/// <summary>What fetching a feed gave: not modified since last time, or its items with the new validators.</summary>
public sealed record FeedFetch(bool NotModified, IReadOnlyList<FeedItem> Items, string? ETag, string? LastModified);

public sealed class FeedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Fetches and parses an RSS 2.0 or Atom feed with System.ServiceModel.Syndication: a conditional GET
/// (ETag, Last-Modified), a timeout, a size limit, no DTDs or external entities. Titles and summaries become plain
/// text; HTML content is sanitised.</summary>
public sealed class FeedReader(IHttpClientFactory http, IOptions<FeedOptions> options)
{
    public const string ClientName = "feeds";

    public async Task<FeedFetch> FetchAsync(string url, string? etag, string? lastModified, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (etag is not null && EntityTagHeaderValue.TryParse(etag, out var tag)) request.Headers.IfNoneMatch.Add(tag);
        if (lastModified is not null && DateTimeOffset.TryParse(lastModified, out var since)) request.Headers.IfModifiedSince = since;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
        try
        {
            using var response = await http.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode == HttpStatusCode.NotModified) return new FeedFetch(true, [], etag, lastModified);
            // The status code only, never the reason phrase or the body: they are the peer's words.
            if ((int)response.StatusCode is >= 300 and < 400) throw new FeedException("The feed redirects more than 5 times, or to nowhere.");
            if (!response.IsSuccessStatusCode) throw new FeedException($"The feed answered HTTP {(int)response.StatusCode}.");
            if (response.Content.Headers.ContentLength > options.Value.MaxBytes) throw TooBig();

            var body = await ReadLimitedAsync(await response.Content.ReadAsStreamAsync(timeout.Token), timeout.Token);
            var items = Parse(body);
            return new FeedFetch(false, items, response.Headers.ETag?.ToString(), response.Content.Headers.LastModified?.ToString("R"));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new FeedException($"The feed did not answer within {options.Value.TimeoutSeconds} s.");
        }
        catch (HttpRequestException e)
        {
            throw new FeedException($"The feed cannot be fetched: {PublicNetworks.Describe(e)}.", e);
        }
    }

    private async Task<MemoryStream> ReadLimitedAsync(Stream stream, CancellationToken cancellationToken)
    {
        var body = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            if (body.Length + read > options.Value.MaxBytes) throw TooBig();
            body.Write(buffer, 0, read);
        }
        body.Position = 0;
        return body;
    }

    public static IReadOnlyList<FeedItem> Parse(Stream xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null, MaxCharactersFromEntities = 1024, Async = false };
        SyndicationFeed feed;
        try
        {
            using var reader = XmlReader.Create(xml, settings);
            feed = SyndicationFeed.Load(reader);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever a broken feed makes the parser throw (XmlException, NotSupportedException for an unknown RSS
            // version, FormatException for a bad date, …) is the feed's problem, reported as such — without the parser's
            // message, which quotes what it read: whatever service answered.
            throw new FeedException(e is XmlException { LineNumber: > 0 } broken
                ? $"The feed is not valid RSS or Atom (at line {broken.LineNumber}, position {broken.LinePosition})."
                : "The feed is not valid RSS or Atom.", e);
        }

        var items = new List<FeedItem>();
        foreach (var item in feed.Items)
        {
            var link = item.Links.FirstOrDefault(l => l.RelationshipType is null or "alternate")?.Uri ?? item.Links.FirstOrDefault()?.Uri;
            var url = link is null ? null : (link.IsAbsoluteUri ? link : feed.BaseUri is { } b ? new Uri(b, link) : null)?.ToString();
            var id = string.IsNullOrWhiteSpace(item.Id) ? url : item.Id.Trim();
            var title = PlainText(item.Title);
            if (id is null || string.IsNullOrWhiteSpace(title)) continue; // nothing to recognise it by, or nothing to say
            var body = item.Content is TextSyndicationContent content ? content : null;
            items.Add(new FeedItem(
                Clip(id, 500)!,
                Clip(title, 500)!,
                Clip(item.Authors.FirstOrDefault() is { } a ? a.Name ?? a.Email : null, 200),
                item.PublishDate != default ? item.PublishDate.UtcDateTime : item.LastUpdatedTime != default ? item.LastUpdatedTime.UtcDateTime : null,
                Clip(PlainText(item.Summary), 5000),
                body is null ? null : SafeHtml.Sanitize(body.Type is "text" ? System.Net.WebUtility.HtmlEncode(body.Text) : body.Text),
                url is { Length: <= 2000 } && url.StartsWith("http", StringComparison.OrdinalIgnoreCase) ? url : null,
                item.Links.Select(l => l.Uri is { IsAbsoluteUri: true } u ? u.ToString() : feed.BaseUri is { } b2 && l.Uri is not null ? new Uri(b2, l.Uri).ToString() : null)
                    .Where(l => l is { Length: <= 2000 } && l.StartsWith("http", StringComparison.OrdinalIgnoreCase)).Select(l => l!).Distinct().Take(20).ToList()));
        }
        return items;
    }

    /// <summary>Titles and summaries are often escaped HTML ("&lt;p&gt;…"): keep the words, drop the markup.</summary>
    private static string? PlainText(TextSyndicationContent? content)
    {
        if (content is null || string.IsNullOrWhiteSpace(content.Text)) return null;
        var text = content.Type is "html" or "xhtml" || content.Text.Contains('<')
            ? new AngleSharp.Html.Parser.HtmlParser().ParseDocument(content.Text).Body?.TextContent ?? ""
            : content.Text;
        return string.Join(' ', System.Net.WebUtility.HtmlDecode(text).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }

    private static string? Clip(string? text, int length) => text is null || text.Length <= length ? text : text[..(length - 1)] + "…";

    private FeedException TooBig() => new($"The feed is larger than {options.Value.MaxBytes / 1024} KB.");
}

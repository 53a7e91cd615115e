using System.Net;
using System.Text.RegularExpressions;
using AngleSharp.Html.Parser;
using MimeKit;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>Drives the server-rendered pages over HTTP the way a browser without JavaScript would: read the form
/// (with its antiforgery token), post it back with the same cookies.</summary>
public static class Pages
{
    public static async Task<(HttpStatusCode Status, string Html)> GetPageAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Posts the page's form (the n-th one, or the one for a page handler), with the given fields over its own values.</summary>
    public static async Task<HttpResponseMessage> SubmitFormAsync(this HttpClient client, string path, IDictionary<string, string> fields, int form = 0,
        string? handler = null)
    {
        var (action, values) = await client.ReadFormAsync(path, fields, form, handler);
        return await client.PostAsync(action, new FormUrlEncodedContent(values));
    }

    /// <summary>The page's form as a browser would send it — where it goes and its values (with the given fields over its
    /// own) — to send more than once, as a double click does.</summary>
    public static async Task<(string Action, List<KeyValuePair<string, string>> Values)> ReadFormAsync(this HttpClient client, string path,
        IDictionary<string, string> fields, int form = 0, string? handler = null)
    {
        var (_, html) = await client.GetPageAsync(path);
        var document = new HtmlParser().ParseDocument(html);
        var element = handler is null ? document.QuerySelectorAll("form")[form] : document.QuerySelector($"form[action*='handler={handler}']")!;
        var values = new List<KeyValuePair<string, string>>();
        foreach (var input in element.QuerySelectorAll("input"))
        {
            var name = input.GetAttribute("name");
            if (name is null || fields.ContainsKey(name)) continue;
            var type = input.GetAttribute("type") ?? "text";
            if (type is "checkbox" or "radio" && !input.HasAttribute("checked")) continue;
            values.Add(new(name, input.GetAttribute("value") ?? (type == "checkbox" ? "on" : "")));
        }
        foreach (var select in element.QuerySelectorAll("select"))
        {
            var name = select.GetAttribute("name");
            if (name is null || fields.ContainsKey(name)) continue;
            var chosen = select.QuerySelector("option[selected]") ?? select.QuerySelector("option");
            if (chosen is not null) values.Add(new(name, chosen.GetAttribute("value") ?? chosen.TextContent));
        }
        values.AddRange(fields);
        return (element.GetAttribute("action") is { Length: > 0 } a ? a : path, values);
    }

    /// <summary>Follows a confirmation link and presses its button, as a person does: the GET alone confirms nobody.</summary>
    public static async Task<(HttpStatusCode Status, string Html)> ConfirmAsync(this HttpClient client, string path)
    {
        using var confirmed = await client.SubmitFormAsync(path, new Dictionary<string, string>());
        return (confirmed.StatusCode, await confirmed.Content.ReadAsStringAsync());
    }

    /// <summary>The path of the first link in an email whose path starts with <paramref name="prefix"/> ("/confirm/").</summary>
    public static string LinkIn(MimeMessage message, string prefix)
    {
        var match = Regex.Match(message.HtmlBody ?? "", $"href=\"https?://[^/\"]+({Regex.Escape(prefix)}[^\"]+)\"");
        Assert.True(match.Success, $"No {prefix} link in: {message.Subject}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }
}

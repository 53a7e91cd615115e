using Ganss.Xss;
using Markdig;

namespace Dispatcher.Content;

/// <summary>HTML from the website, a feed or an organiser's Markdown is sanitised before it is stored, so templates can
/// write it with @Raw: no scripts, frames, event handlers, javascript: links or forms survive.</summary>
public static class SafeHtml
{
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder()
        .UseAdvancedExtensions()
        .DisableHtml()
        .Build();

    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    public static string FromMarkdown(string markdown) => Sanitize(Markdig.Markdown.ToHtml(markdown, Markdown));

    public static string Sanitize(string html) => Sanitizer.Sanitize(html).Trim();

    private static HtmlSanitizer CreateSanitizer()
    {
        var sanitizer = new HtmlSanitizer();
        sanitizer.AllowedSchemes.Clear();
        sanitizer.AllowedSchemes.UnionWith(["http", "https", "mailto"]);
        sanitizer.AllowedTags.ExceptWith(["form", "input", "button", "select", "textarea", "option"]);
        sanitizer.AllowedAttributes.Remove("class");
        sanitizer.AllowedAttributes.Remove("id");
        return sanitizer;
    }
}

using Dispatcher.Content;
using Dispatcher.Mail;

namespace Dispatcher.Tests.Mail;

public sealed class SafeHtmlTests
{
    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>")]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JaVaScRiPt:alert(1))")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("![x](javascript:alert(1))")]
    [InlineData("<form action=\"https://evil.example\"><input name=password></form>")]
    public void Markdown_from_organisers_cannot_carry_script(string markdown)
    {
        AssertInert(SafeHtml.FromMarkdown(markdown));
    }

    [Theory]
    [InlineData("<script>alert(1)</script><p>Hi</p>")]
    [InlineData("<p onclick=\"alert(1)\">Hi</p>")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("<iframe src=x></iframe>")]
    [InlineData("<style>body{display:none}</style>")]
    [InlineData("<svg><script>alert(1)</script></svg>")]
    public void Html_from_the_website_is_sanitised(string html)
    {
        AssertInert(SafeHtml.Sanitize(html));
    }

    /// <summary>No element that runs or loads anything, no event handler, no script URL (escaped text is fine).</summary>
    private static void AssertInert(string html)
    {
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        Assert.Empty(document.QuerySelectorAll("script, iframe, object, embed, form, input, style, svg"));
        foreach (var element in document.All)
            foreach (var attribute in element.Attributes)
            {
                Assert.False(attribute.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase), $"{attribute.Name} on <{element.LocalName}>");
                Assert.DoesNotContain("javascript:", attribute.Value, StringComparison.OrdinalIgnoreCase);
            }
    }

    [Fact]
    public void Markdown_keeps_its_structure_in_html_and_in_the_text_part()
    {
        var html = SafeHtml.FromMarkdown("## Protest tonight\n\nMeet at **18:00**.\n\n1. Bring banners\n2. Bring friends\n\n[Sign the letter](https://example.org/letter)");

        Assert.Contains("<h2", html);
        Assert.Contains("<strong>18:00</strong>", html);
        Assert.Contains("href=\"https://example.org/letter\"", html);
        Assert.Equal("""
            Protest tonight
            ---------------

            Meet at 18:00.

            1. Bring banners
            2. Bring friends

            Sign the letter (https://example.org/letter)

            """.ReplaceLineEndings("\n"), HtmlToText.Convert(html));
    }
}

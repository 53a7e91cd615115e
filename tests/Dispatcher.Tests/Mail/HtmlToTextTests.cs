using Dispatcher.Mail;

namespace Dispatcher.Tests.Mail;

public sealed class HtmlToTextTests
{
    [Fact]
    public void Headings_paragraphs_lists_and_links_read_well_as_text()
    {
        var text = HtmlToText.Convert("""
            <html><head><title>x</title><style>p { color: red }</style></head><body>
            <h1>Stop the   repression</h1>
            <p>On 14 November 2015, about <b>100,000</b> people took to the streets of Seoul.</p>
            <ul><li>Free the KCTU leaders</li><li>Drop the <a href="https://example.org/reforms">labour “reforms”</a></li></ul>
            <ol><li>Sign</li><li>Share</li></ol>
            <p><a href="https://example.org/x">https://example.org/x</a><br>Next line</p>
            <script>alert(1)</script>
            </body></html>
            """);

        Assert.Equal("""
            Stop the repression
            ===================

            On 14 November 2015, about 100,000 people took to the streets of Seoul.

            - Free the KCTU leaders
            - Drop the labour “reforms” (https://example.org/reforms)

            1. Sign
            2. Share

            https://example.org/x
            Next line

            """.ReplaceLineEndings("\n"), text);
    }

    [Fact]
    public void Hidden_preview_text_is_left_out()
    {
        Assert.Equal("Shown\n", HtmlToText.Convert("<div style=\"display: none\">Preview</div><p>Shown</p>"));
    }
}

using System.Text;
using Dispatcher.Feeds;

namespace Dispatcher.Tests.Feeds;

public sealed class FeedReaderTests
{
    private static IReadOnlyList<FeedItem> Parse(string xml) => FeedReader.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)));

    [Fact]
    public void Rss_items_become_plain_titles_and_sanitised_html()
    {
        var items = Parse("""
            <?xml version="1.0"?>
            <rss version="2.0"><channel><title>x</title><link>https://example.org/</link><description>x</description>
              <item>
                <title>Ankara bomb attacks: Blood on Erdo&#287;an&#8217;s hands</title>
                <link>https://example.org/ankara</link>
                <pubDate>Mon, 12 Oct 2015 09:00:00 GMT</pubDate>
                <description>&lt;p&gt;Over a hundred are &lt;b&gt;dead&lt;/b&gt;.&lt;/p&gt;</description>
              </item>
            </channel></rss>
            """);

        var item = Assert.Single(items);
        Assert.Equal("https://example.org/ankara", item.ExternalId); // no guid: the link
        Assert.Equal("Ankara bomb attacks: Blood on Erdoğan’s hands", item.Title);
        Assert.Equal("Over a hundred are dead.", item.Summary);
        Assert.Equal(new DateTime(2015, 10, 12, 9, 0, 0, DateTimeKind.Utc), item.PublishedAt);
    }

    [Fact]
    public void Atom_html_content_is_sanitised()
    {
        var items = Parse("""
            <feed xmlns="http://www.w3.org/2005/Atom"><title>x</title><id>urn:x</id><updated>2016-11-12T09:00:00Z</updated>
              <entry><title type="html">We don&amp;#39;t want Trump</title><id>urn:trump</id><updated>2016-11-12T09:00:00Z</updated>
                <link href="https://example.org/trump"/>
                <content type="html">&lt;p onclick="x()"&gt;First Brexit&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</content>
              </entry>
            </feed>
            """);

        var item = Assert.Single(items);
        Assert.Equal("urn:trump", item.ExternalId);
        Assert.Equal("We don't want Trump", item.Title);
        Assert.Equal("<p>First Brexit</p>", item.BodyHtml);
    }

    [Theory]
    [InlineData("<rss><channel><item><title>Unclosed")]
    [InlineData("not xml at all")]
    [InlineData("<html><body>Not a feed</body></html>")]
    [InlineData("<!DOCTYPE rss [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><rss version=\"2.0\"><channel><title>&x;</title></channel></rss>")]
    public void Anything_else_is_a_feed_error_not_a_crash(string xml)
    {
        Assert.Throws<FeedException>(() => Parse(xml));
    }
}

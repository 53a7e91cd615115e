using Dispatcher.Hosting;

namespace Dispatcher.Tests.Hosting;

public sealed class ReaderLocaleTests
{
    private static readonly string[] Offered = ["en", "tr", "ko", "pt-BR"];

    [Theory]
    [InlineData("tr-TR,tr;q=0.9,en-US;q=0.8,en;q=0.7", "tr")] // a browser in Turkish
    [InlineData("de-DE,de;q=0.9,ko;q=0.5", "ko")]              // the first one offered, by quality
    [InlineData("ko;q=0.2,en;q=0.8", "en")]                    // quality, not order
    [InlineData("pt", "pt-BR")]                                // a regional form offered for the bare language
    [InlineData("ja,zh;q=0.5", "en")]                          // none offered: the default
    [InlineData("", "en")]
    [InlineData("xx-invalid-tag-that-is-not-a-language,tr;q=0.1", "tr")]
    public void The_browsers_first_offered_language_is_chosen(string header, string expected)
    {
        var accepted = header.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            var pieces = part.Split(";q=");
            return (pieces[0].Trim(), pieces.Length > 1 ? double.Parse(pieces[1], System.Globalization.CultureInfo.InvariantCulture) : 1.0);
        });

        Assert.Equal(expected, ReaderLocale.FromAcceptLanguage(accepted, Offered, "en"));
    }

    [Theory]
    [InlineData("tr", "Türkçe")]
    [InlineData("ko", "한국어")]
    [InlineData("en", "English")]
    public void A_language_is_named_in_itself(string language, string name) => Assert.Equal(name, ReaderLocale.NativeName(language));
}

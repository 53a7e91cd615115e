using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using Dispatcher.Mail;

namespace Dispatcher.Tests.Mail;

/// <summary>Every language Dispatcher has texts for has every fixed word of the emails and the public pages, with the
/// same placeholders, and a lookup comes back in the language asked for whatever the thread's culture.</summary>
public sealed partial class EmailWordsTests
{
    private static readonly string[] ResourceFiles = ["Dispatcher.Mail.EmailWords", "Dispatcher.Public.PageWords"];

    public static TheoryData<string, string> Languages
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var file in ResourceFiles)
            foreach (var language in Dispatcher.Hosting.ReaderLocale.WithTexts.Where(l => l != "en")) data.Add(file, language);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Languages))]
    public void Each_language_has_every_word_with_the_same_placeholders(string file, string language)
    {
        var english = Entries(file, CultureInfo.InvariantCulture);
        var translated = Entries(file, CultureInfo.GetCultureInfo(language));
        Assert.Equal(english.Keys.Order(), translated.Keys.Order());
        foreach (var (key, text) in translated)
        {
            Assert.False(string.IsNullOrWhiteSpace(text), $"{language}: '{key}' is empty");
            Assert.Equal(Placeholders(key), Placeholders(text));
        }
    }

    [Fact]
    public void The_neutral_files_are_English_word_for_word()
    {
        foreach (var file in ResourceFiles)
        foreach (var (key, text) in Entries(file, CultureInfo.InvariantCulture)) Assert.Equal(key, text);
    }

    [Fact]
    public void Words_come_in_the_language_asked_for_whatever_the_threads_culture()
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("fr");
        try
        {
            Assert.Equal("Açıklamanın tamamını okuyun", EmailWords.For("tr")["Read the full statement"].Value);
            Assert.Equal("Açıklamanın tamamını okuyun", EmailWords.For("tr-TR")["Read the full statement"].Value); // a region falls back
            Assert.Equal("Willkommen bei Korea solidarity", EmailWords.For("de")["Welcome to {0}", "Korea solidarity"].Value);
            Assert.Equal("Read the full statement", EmailWords.For("ja")["Read the full statement"].Value); // no texts: English
            Assert.Equal("fr", CultureInfo.CurrentUICulture.Name);
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public void Right_to_left_text_marks_every_line_that_has_words()
    {
        var text = EmailRenderer.RightToLeftLines("أوقفوا القمع\n\nhttps://example.org/ar\n  \nإلغاء الاشتراك");
        Assert.Equal("\u200Fأوقفوا القمع\n\n\u200Fhttps://example.org/ar\n  \n\u200Fإلغاء الاشتراك", text);
    }

    private static Dictionary<string, string> Entries(string file, CultureInfo culture) =>
        new ResourceManager(file, typeof(EmailWords).Assembly).GetResourceSet(culture, createIfNotExists: true, tryParents: false)!
            .Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string)e.Value!);

    private static List<string> Placeholders(string text) => PlaceholderPattern().Matches(text).Select(m => m.Value).Order().ToList();

    [GeneratedRegex(@"\{\d+\}")]
    private static partial Regex PlaceholderPattern();
}

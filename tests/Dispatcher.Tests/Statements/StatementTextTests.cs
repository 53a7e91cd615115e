using Dispatcher.Statements;

namespace Dispatcher.Tests.Statements;

/// <summary>Which text of a statement a reader gets: their language's translation, another region's form of it, else
/// the statement as written.</summary>
public sealed class StatementTextTests
{
    private static readonly Statement Korea = new()
    {
        Title = "Stop the repression",
        Author = "IST",
        Url = "https://example.org/en",
        Summary = "English summary",
        Language = "en",
        Translations =
        [
            new StatementTranslation { Language = "tr", Title = "Baskıya son", Summary = "Türkçe özet" },
            new StatementTranslation { Language = "pt-BR", Title = "Parem a repressão", Author = "IST Brasil", Url = "https://example.org/br" },
        ],
    };

    [Theory]
    [InlineData("tr", "tr", "Baskıya son")]
    [InlineData("tr-TR", "tr", "Baskıya son")] // a regional reader gets the language's translation
    [InlineData("pt", "pt-BR", "Parem a repressão")] // and the other way round
    [InlineData("en", "en", "Stop the repression")]
    [InlineData("en-GB", "en", "Stop the repression")]
    [InlineData("ko", "en", "Stop the repression")] // no translation: as written
    public void A_reader_gets_their_translation_else_the_original(string reader, string language, string title)
    {
        var text = Korea.For(reader, "en");
        Assert.Equal((language, title), (text.Language, text.Title));
    }

    [Fact]
    public void A_translation_without_author_or_link_takes_the_statements()
    {
        var turkish = Korea.For("tr", "en");
        Assert.Equal(("IST", "https://example.org/en", "Türkçe özet"), (turkish.Author, turkish.Url, turkish.Summary));
        var brazilian = Korea.For("pt-BR", "en");
        Assert.Equal(("IST Brasil", "https://example.org/br", null), (brazilian.Author, brazilian.Url, brazilian.Summary));
    }

    [Fact]
    public void A_statement_without_a_language_is_in_the_default_one()
    {
        var statement = new Statement { Title = "Solidarność", Translations = [new StatementTranslation { Language = "en", Title = "Solidarity" }] };
        Assert.Equal("Solidarność", statement.For("pl", "pl").Title);
        Assert.Equal("Solidarity", statement.For("en", "pl").Title);
    }
}

using Dispatcher.Hosting;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace Dispatcher.Public;

/// <summary>The fixed words of the public pages, from PageWords.*.resx beside this class (see <see cref="FixedWords"/>).</summary>
public static class PageWords
{
    public static IStringLocalizer For(string language) => FixedWords.For(typeof(PageWords), language);
}

/// <summary>A page a reader sees: written in the browser's language (Accept-Language, among those offered) until the
/// page knows the reader, then in theirs; the layout takes its lang and dir.</summary>
public abstract class PublicPage : PageModel
{
    private IStringLocalizer _words = PageWords.For("en");

    /// <summary>The language the page is in.</summary>
    public string PageLanguage { get; private set; } = "en";

    public string PageDirection => FixedWords.DirectionOf(PageLanguage);

    /// <summary>A fixed text in the page's language: <c>@Model.T("Subscribe to {0}", Model.ListName)</c>.</summary>
    public string T(string english, params object[] arguments) => arguments.Length == 0 ? _words[english] : _words[english, arguments];

    /// <summary>Writes the rest of the page in the reader's language (theirs when offered, else the default).</summary>
    protected void ShowIn(string? readerLanguage)
    {
        PageLanguage = Options.LanguageOf(readerLanguage);
        _words = PageWords.For(PageLanguage);
        ViewData["Language"] = PageLanguage;
        ViewData["Direction"] = PageDirection;
    }

    /// <summary>The browser's language, among those offered; else the default.</summary>
    protected string BrowserLanguage() => ReaderLocale.FromAcceptLanguage(
        Request.GetTypedHeaders().AcceptLanguage.Select(a => (a.Value.Value ?? "", a.Quality ?? 1)),
        Options.ReaderLanguages, Options.LanguageOf(null));

    private DispatcherOptions Options => HttpContext.RequestServices.GetRequiredService<IOptions<DispatcherOptions>>().Value;

    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context) => ShowIn(BrowserLanguage());
}

using System.Globalization;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dispatcher.Hosting;

/// <summary>Fixed words from resource files (<c>IStringLocalizer</c> over the .resx beside a marker class), in a
/// language chosen per reader rather than per thread: an email is rendered for readers of many languages on one
/// thread, and a page in its reader's language. A language without a file, or a word missing from one, falls back
/// to English (the neutral file); a region to its language ("tr-TR" to "tr").</summary>
public static class FixedWords
{
    private static readonly ResourceManagerStringLocalizerFactory Factory =
        new(Options.Create(new LocalizationOptions()), NullLoggerFactory.Instance);

    /// <param name="named">The class the resource files are named after (Dispatcher.Mail.EmailWords: Mail/EmailWords.*.resx).</param>
    public static IStringLocalizer For(Type named, string language) =>
        new InCulture(Factory.Create(named), CultureInfo.GetCultureInfo(language));

    /// <summary>"rtl" for Arabic, Hebrew, Persian, …; else "ltr".</summary>
    public static string DirectionOf(string language) => CultureInfo.GetCultureInfo(language).TextInfo.IsRightToLeft ? "rtl" : "ltr";

    /// <summary>Looks words up in one culture whatever the thread's.</summary>
    private sealed class InCulture(IStringLocalizer inner, CultureInfo culture) : IStringLocalizer
    {
        public LocalizedString this[string name] => In(() => inner[name]);

        public LocalizedString this[string name, params object[] arguments] => In(() =>
        {
            var format = inner[name];
            return new LocalizedString(name, string.Format(culture, format.Value, arguments), format.ResourceNotFound);
        });

        public IEnumerable<LocalizedString> GetAllStrings(bool includeParentCultures) => In(() => inner.GetAllStrings(includeParentCultures).ToList());

        private T In<T>(Func<T> lookup)
        {
            var previous = CultureInfo.CurrentUICulture;
            CultureInfo.CurrentUICulture = culture;
            try
            {
                return lookup();
            }
            finally
            {
                CultureInfo.CurrentUICulture = previous;
            }
        }
    }
}

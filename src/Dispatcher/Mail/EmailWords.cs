using System.Globalization;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Dispatcher.Mail;

/// <summary>The fixed words of the emails ("Read the full statement", the footer's links, digest headings) in a
/// reader's language, from the resource files beside this class (EmailWords.resx is English; EmailWords.tr.resx
/// Turkish, …). A language without a file, or a word missing from one, falls back to English.</summary>
public static class EmailWords
{
    private static readonly IStringLocalizer Words = new ResourceManagerStringLocalizerFactory(
        Options.Create(new LocalizationOptions()), NullLoggerFactory.Instance).Create(typeof(EmailWords));

    /// <summary>The words in <paramref name="language"/> (a BCP 47 tag; its region falls back to the language: "tr-TR" to "tr").</summary>
    public static IStringLocalizer For(string language) => new InCulture(Words, CultureInfo.GetCultureInfo(language));

    /// <summary>Looks words up in one culture whatever the thread's: templates render on any thread, for any reader.</summary>
    private sealed class InCulture(IStringLocalizer inner, CultureInfo culture) : IStringLocalizer
    {
        public LocalizedString this[string name] => In(() => inner[name]);

        public LocalizedString this[string name, params object[] arguments] =>
            In(() => new LocalizedString(name, string.Format(culture, inner[name].Value, arguments), inner[name].ResourceNotFound));

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

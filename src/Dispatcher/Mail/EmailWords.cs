using Microsoft.Extensions.Localization;

namespace Dispatcher.Mail;

/// <summary>The fixed words of the emails ("Read the full statement", the footer's links, digest headings) in a
/// reader's language, from the resource files beside this class (EmailWords.resx is English; EmailWords.tr.resx
/// Turkish, …; see <see cref="Hosting.FixedWords"/>).</summary>
public static class EmailWords
{
    public static IStringLocalizer For(string language) => Hosting.FixedWords.For(typeof(EmailWords), language);
}

using System.Globalization;

namespace Dispatcher.Hosting;

/// <summary>What a reader's language and time zone may be, checked the same way wherever one comes in (the API, an
/// import, the sign-up form, a setting).</summary>
public static class ReaderLocale
{
    /// <summary>The languages Dispatcher has its own texts for (the fixed words of its emails and pages).</summary>
    public static readonly IReadOnlyList<string> WithTexts = ["en", "de", "es", "fr", "tr", "ko", "ar"];

    /// <summary>A BCP 47 tag the runtime knows ("tr", "pt-BR"), in its usual case; false for anything else.</summary>
    public static bool TryLanguage(string? tag, out string language)
    {
        language = "";
        if (string.IsNullOrWhiteSpace(tag) || tag.Trim().Length > 35) return false;
        try
        {
            var culture = CultureInfo.GetCultureInfo(tag.Trim(), predefinedOnly: true);
            if (culture.Name.Length == 0) return false; // the invariant culture
            language = culture.Name;
            return true;
        }
        catch (CultureNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="language"/> is one of <paramref name="offered"/>, or a regional form of one ("tr-TR" of "tr").</summary>
    public static bool IsOffered(string language, IEnumerable<string> offered) =>
        offered.Any(o => string.Equals(o, language, StringComparison.OrdinalIgnoreCase)
                         || language.StartsWith(o + "-", StringComparison.OrdinalIgnoreCase));

    /// <summary>The first of the browser's languages (Accept-Language, best first) that is offered, as offered ("tr" for
    /// "tr-TR"); <paramref name="fallback"/> when none is.</summary>
    public static string FromAcceptLanguage(IEnumerable<(string Tag, double Quality)> accepted, IReadOnlyList<string> offered, string fallback)
    {
        foreach (var (tag, _) in accepted.Where(a => a.Quality > 0).OrderByDescending(a => a.Quality))
        {
            if (!TryLanguage(tag, out var language)) continue;
            var match = offered.FirstOrDefault(o => string.Equals(o, language, StringComparison.OrdinalIgnoreCase))
                        ?? offered.FirstOrDefault(o => IsOffered(language, [o]) || IsOffered(o, [language]));
            if (match is not null) return match;
        }
        return fallback;
    }

    /// <summary>A language tag that is one of <paramref name="offered"/> (or a regional form of one), in its usual case.</summary>
    public static bool TryOffered(string? tag, IReadOnlyList<string> offered, out string language) =>
        TryLanguage(tag, out language) && IsOffered(language, offered);

    /// <summary>The language a reader's emails and pages are in: theirs when it is offered (or a regional form of an
    /// offered one), else <paramref name="fallback"/>: a reader whose language was taken off the list still gets mail.</summary>
    public static string OfferedOr(string? language, IReadOnlyList<string> offered, string fallback) =>
        TryOffered(language, offered, out var known) ? known : fallback;

    /// <summary>Of the <paramref name="available"/> languages (a statement's translations), the one for a reader of
    /// <paramref name="language"/>: the same tag, else the same language in another region ("pt" for "pt-BR", "pt-BR"
    /// for "pt"); null when none is.</summary>
    public static string? BestMatch(string language, IEnumerable<string> available)
    {
        var candidates = available.ToList();
        return candidates.FirstOrDefault(c => string.Equals(c, language, StringComparison.OrdinalIgnoreCase))
               ?? candidates.FirstOrDefault(c => string.Equals(BaseOf(c), BaseOf(language), StringComparison.OrdinalIgnoreCase));
    }

    private static string BaseOf(string tag) => tag.Split('-')[0];

    /// <summary>The translation a reader of <paramref name="readerLanguage"/> gets of something written in
    /// <paramref name="ownLanguage"/>: null when they read that language (or no translation is theirs), so they get the
    /// original; else the translation into their language (<see cref="BestMatch"/>). One rule for statements, alerts and
    /// welcomes.</summary>
    public static T? TranslationFor<T>(string readerLanguage, string ownLanguage, IReadOnlyCollection<T> translations, Func<T, string> languageOf)
        where T : class
    {
        if (BestMatch(readerLanguage, [ownLanguage]) is not null) return null;
        var language = BestMatch(readerLanguage, translations.Select(languageOf));
        return language is null ? null : translations.First(t => languageOf(t) == language);
    }

    /// <summary>The offered languages with their names in themselves, for a reader to choose from.</summary>
    public static IReadOnlyList<(string Tag, string Name)> Choices(IEnumerable<string> offered) => offered.Select(l => (l, NativeName(l))).ToList();

    /// <summary>A language's name in itself, for a choice a reader makes: "Türkçe", "한국어".</summary>
    public static string NativeName(string language)
    {
        var name = CultureInfo.GetCultureInfo(language).NativeName;
        return name.Length == 0 ? language : char.ToUpper(name[0], CultureInfo.GetCultureInfo(language)) + name[1..];
    }

    /// <summary>An IANA time zone id this machine knows ("Europe/Istanbul"), as IANA writes it; false for anything else,
    /// Windows ids included (one spelling in the database).</summary>
    public static bool TryTimeZone(string? id, out string timeZone)
    {
        timeZone = "";
        if (string.IsNullOrWhiteSpace(id) || id.Trim().Length > 64) return false;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id.Trim(), out var zone) || !zone.HasIanaId) return false;
        timeZone = zone.Id;
        return true;
    }
}

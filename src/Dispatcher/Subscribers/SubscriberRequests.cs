using Dispatcher.Hosting;

namespace Dispatcher.Subscribers;

public sealed record AddSubscriberRequest(string? Email, string? Name, string? Cadence, bool? Alerts, bool? Confirmed,
    string? Language = null, string? TimeZone = null, Dictionary<string, string?>? Attributes = null)
{
    public ValidationErrors Validate(IReadOnlyList<string> languages, out string? email, out Cadence? cadence, out ReaderDetails details)
    {
        var errors = new ValidationErrors();
        if (!EmailAddress.TryNormalise(Email, out email, out var emailError)) errors.Add("email", emailError);
        errors.Text("name", Name, 200);
        cadence = null;
        if (Cadence is not null)
        {
            if (CadenceNames.TryParse(Cadence, out var parsed)) cadence = parsed;
            else errors.Add("cadence", "'cadence' must be \"immediate\", \"daily\" or \"weekly\".");
        }
        details = ReaderDetails.Check(Language, TimeZone, Attributes, languages, errors);
        return errors;
    }
}

/// <summary>A reader's language, time zone and attributes as given (null: not given, left as they are), checked.</summary>
public sealed record ReaderDetails(string? Language, string? TimeZone, IReadOnlyDictionary<string, string?> Attributes)
{
    public const int MaxAttributes = 20;
    public const int MaxAttributeValue = 200;

    public static readonly ReaderDetails None = new(null, null, new Dictionary<string, string?>());

    /// <summary>Checks what came in, adding an error per field (attributes.{key} for an attribute); what is valid is kept.</summary>
    public static ReaderDetails Check(string? language, string? timeZone, IReadOnlyDictionary<string, string?>? attributes,
        IReadOnlyList<string> languages, ValidationErrors errors, string prefix = "")
    {
        string? checkedLanguage = null, checkedZone = null;
        if (!string.IsNullOrWhiteSpace(language))
        {
            if (!Hosting.ReaderLocale.TryLanguage(language, out var tag))
                errors.Add(prefix + "language", $"'{Shorten(language)}' is not a language tag (BCP 47, e.g. en, tr, pt-BR).");
            else if (!Hosting.ReaderLocale.IsOffered(tag, languages))
                errors.Add(prefix + "language", $"'{tag}' is not one of this organisation's languages: {string.Join(", ", languages)}.");
            else checkedLanguage = tag;
        }
        if (!string.IsNullOrWhiteSpace(timeZone))
        {
            if (Hosting.ReaderLocale.TryTimeZone(timeZone, out var zone)) checkedZone = zone;
            else errors.Add(prefix + "timeZone", $"'{Shorten(timeZone)}' is not an IANA time zone (e.g. Europe/Istanbul, Asia/Seoul).");
        }
        var checkedAttributes = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (attributes is { Count: > MaxAttributes })
            errors.Add(prefix + "attributes", $"At most {MaxAttributes} attributes a person.");
        else
            foreach (var (key, value) in attributes ?? new Dictionary<string, string?>())
            {
                var name = key.Trim().ToLowerInvariant();
                if (!IsAttributeName(name))
                    errors.Add($"{prefix}attributes.{Shorten(key)}", "An attribute's name is 1 to 40 letters, digits, '_' or '-' (e.g. country, city, union).");
                else if (value is not null && !IsAttributeValue(value))
                    errors.Add($"{prefix}attributes.{name}", $"An attribute's value is at most {MaxAttributeValue} characters, without line breaks.");
                else checkedAttributes[name] = string.IsNullOrWhiteSpace(value) ? null : value.Trim(); // null: remove it
            }
        return new ReaderDetails(checkedLanguage, checkedZone, checkedAttributes);
    }

    /// <summary>A value an attribute may hold: up to <see cref="MaxAttributeValue"/> characters, no line breaks or other controls.</summary>
    public static bool IsAttributeValue(string value) => value.Length <= MaxAttributeValue && !value.Any(char.IsControl);

    public static bool IsAttributeName(string name) =>
        name.Length is > 0 and <= 40 && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-');

    /// <summary>Onto the person: what was given replaces what they had; an attribute given empty is removed.</summary>
    public void ApplyTo(Subscriber subscriber)
    {
        if (Language is not null) subscriber.Language = Language;
        if (TimeZone is not null) subscriber.TimeZone = TimeZone;
        if (Attributes.Count == 0) return;
        var merged = new Dictionary<string, string>(subscriber.Attributes, StringComparer.Ordinal);
        foreach (var (key, value) in Attributes)
            if (value is null) merged.Remove(key);
            else merged[key] = value;
        subscriber.Attributes = merged;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

public static class CadenceNames
{
    public static bool TryParse(string? text, out Cadence cadence)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "immediate": cadence = Cadence.Immediate; return true;
            case "daily": cadence = Cadence.Daily; return true;
            case "weekly": cadence = Cadence.Weekly; return true;
            default: cadence = default; return false;
        }
    }

    public static string Of(Cadence cadence) => cadence.ToString().ToLowerInvariant();
}

public sealed record SubscriptionResponse(string Email, string? Name, string List, string Status, string Cadence, bool Alerts,
    string? Language, string? TimeZone, IReadOnlyDictionary<string, string> Attributes)
{
    public static SubscriptionResponse From(Subscriber subscriber, Subscription subscription, string listSlug) =>
        new(subscriber.Email, subscriber.Name, listSlug, subscription.Status.ToString().ToLowerInvariant(),
            CadenceNames.Of(subscription.Cadence), subscription.Alerts, subscriber.Language, subscriber.TimeZone, subscriber.Attributes);
}

using System.Text.RegularExpressions;
using Dispatcher.Hosting;

namespace Dispatcher.Lists;

public sealed partial record CreateListRequest(string? Name, string? Slug, string? Description, bool? Public, bool? DoubleOptIn, bool? RequireApproval,
    string? Introduction = null, List<string?>? AskFor = null, string? WelcomeSubject = null, string? WelcomeMarkdown = null,
    List<WelcomeTranslationRequest?>? WelcomeTranslations = null)
{
    public const int MaxAskFor = 10;
    public const int MaxWelcome = 20_000;

    /// <summary>A welcome is a subject and a text, both or neither (empty clears); the list's own values fill in what a
    /// change leaves out.</summary>
    internal static void CheckWelcome(string? subject, string? markdown, ValidationErrors errors)
    {
        errors.Text("welcomeSubject", subject, 300);
        errors.Text("welcomeMarkdown", markdown, MaxWelcome);
        if (string.IsNullOrWhiteSpace(subject) != string.IsNullOrWhiteSpace(markdown))
            errors.Add(string.IsNullOrWhiteSpace(subject) ? "welcomeSubject" : "welcomeMarkdown", "A welcome email needs both a subject and a text (or neither).");
    }

    /// <summary>Checks the welcome's translations; returns them as stored (empty clears).</summary>
    internal static List<WelcomeTranslation> CheckWelcomeTranslations(List<WelcomeTranslationRequest?>? given, ValidationErrors errors)
    {
        var translations = new List<WelcomeTranslation>();
        if (given is null) return translations;
        if (given.Count > 50) errors.Add("welcomeTranslations", "A welcome has at most 50 translations.");
        for (var i = 0; i < given.Count; i++)
        {
            var field = $"welcomeTranslations[{i}]";
            if (given[i] is not { } t)
            {
                errors.Add(field, "A translation is an object with 'language', 'subject' and 'markdown'.");
                continue;
            }
            var language = errors.Language($"{field}.language", t.Language, required: true);
            var subject = errors.Text($"{field}.subject", t.Subject, 300, required: true);
            var markdown = errors.Text($"{field}.markdown", t.Markdown, MaxWelcome, required: true);
            if (language is not null && translations.Any(x => string.Equals(x.Language, language, StringComparison.OrdinalIgnoreCase)))
                errors.Add($"{field}.language", $"'{language}' is given twice.");
            else if (language is not null && subject is not null && markdown is not null) translations.Add(new WelcomeTranslation(language, subject, markdown));
        }
        return translations;
    }

    /// <summary>Checks the attributes a sign-up form asks for: their names, lower-cased and without repeats.</summary>
    internal static List<string> CheckAskFor(List<string?>? askFor, ValidationErrors errors)
    {
        var names = new List<string>();
        if (askFor is null) return names;
        if (askFor.Count > MaxAskFor) errors.Add("askFor", $"A sign-up form asks for at most {MaxAskFor} attributes.");
        for (var i = 0; i < askFor.Count; i++)
        {
            var name = askFor[i]?.Trim().ToLowerInvariant() ?? "";
            if (!Subscribers.ReaderDetails.IsAttributeName(name)) errors.Add($"askFor[{i}]", "An attribute's name is 1–40 lowercase letters, digits, '-' or '_'.");
            else if (!names.Contains(name)) names.Add(name);
        }
        return names;
    }

    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        errors.Text("name", Name, 200, required: true);
        errors.Text("description", Description, 2000);
        errors.Text("introduction", Introduction, Mail.Branding.EmailTexts.MaxMarkdown);
        CheckSlug(Slug, errors);
        CheckAskFor(AskFor, errors);
        CheckWelcome(WelcomeSubject, WelcomeMarkdown, errors);
        if (CheckWelcomeTranslations(WelcomeTranslations, errors).Count > 0 && string.IsNullOrWhiteSpace(WelcomeSubject))
            errors.Add("welcomeTranslations", "Translations of the welcome need the welcome itself ('welcomeSubject' and 'welcomeMarkdown').");
        return errors;
    }

    /// <summary>A slug of a list or a segment: what goes in its URL.</summary>
    internal static void CheckSlug(string? value, ValidationErrors errors)
    {
        var slug = errors.Text("slug", value, 64, required: true);
        if (slug is not null && !SlugPattern().IsMatch(slug))
            errors.Add("slug", "'slug' may hold lower-case letters, digits and hyphens, starting with a letter or digit.");
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    internal static partial Regex SlugPattern();
}

/// <summary>A change to a list: each field that is not null replaces the list's (an empty text clears it).</summary>
public sealed record UpdateListRequest(string? Name, string? Description, bool? Public, bool? DoubleOptIn, bool? RequireApproval,
    string? Introduction = null, List<string?>? AskFor = null, string? WelcomeSubject = null, string? WelcomeMarkdown = null,
    List<WelcomeTranslationRequest?>? WelcomeTranslations = null)
{
    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        if (Name is not null) errors.Text("name", Name, 200, required: true);
        if (Description is not null) errors.Text("description", Description, 2000);
        if (Introduction is not null) errors.Text("introduction", Introduction, Mail.Branding.EmailTexts.MaxMarkdown);
        CreateListRequest.CheckAskFor(AskFor, errors);
        CreateListRequest.CheckWelcomeTranslations(WelcomeTranslations, errors);
        return errors;
    }

    /// <summary>The welcome as this change leaves it, with what the list has where the change says nothing.</summary>
    public ValidationErrors ValidateWelcome(MailingList list)
    {
        var errors = new ValidationErrors();
        if (WelcomeSubject is not null || WelcomeMarkdown is not null)
            CreateListRequest.CheckWelcome(WelcomeSubject ?? list.WelcomeSubject, WelcomeMarkdown ?? list.WelcomeMarkdown, errors);
        return errors;
    }

    public void ApplyTo(MailingList list)
    {
        if (Name is not null) list.Name = Name.Trim();
        if (Description is not null) list.Description = Description.Trim() is { Length: > 0 } d ? d : null;
        if (Introduction is not null) list.Introduction = Introduction.Trim() is { Length: > 0 } i ? i : null;
        if (Public is { } isPublic) list.Public = isPublic;
        if (DoubleOptIn is { } doubleOptIn) list.DoubleOptIn = doubleOptIn;
        if (RequireApproval is { } requireApproval) list.RequireApproval = requireApproval;
        if (AskFor is not null) list.AskFor = CreateListRequest.CheckAskFor(AskFor, new ValidationErrors());
        if (WelcomeSubject is not null) list.WelcomeSubject = WelcomeSubject.Trim() is { Length: > 0 } s ? s : null;
        if (WelcomeMarkdown is not null) list.WelcomeMarkdown = WelcomeMarkdown.Trim() is { Length: > 0 } m ? m : null;
        if (WelcomeTranslations is not null) list.WelcomeTranslations = CreateListRequest.CheckWelcomeTranslations(WelcomeTranslations, new ValidationErrors());
        if (!list.Welcomes) list.WelcomeTranslations = []; // no welcome, no translations of it
    }
}

/// <summary>A list's welcome in another language.</summary>
public sealed record WelcomeTranslationRequest(string? Language, string? Subject, string? Markdown);

public sealed record SubscriberCounts(int Confirmed, int Unconfirmed, int Unsubscribed);

public sealed record ListResponse(
    string Slug, string Name, string? Description, bool Public, bool DoubleOptIn, bool RequireApproval,
    SubscriberCounts Subscribers, DateTime CreatedAt, string? Introduction, IReadOnlyList<string> AskFor, string? WelcomeSubject,
    string? WelcomeMarkdown, IReadOnlyCollection<WelcomeTranslation> WelcomeTranslations)
{
    public static ListResponse From(MailingList list, SubscriberCounts counts) =>
        new(list.Slug, list.Name, list.Description, list.Public, list.DoubleOptIn, list.RequireApproval, counts, list.CreatedAt, list.Introduction,
            list.AskFor, list.WelcomeSubject, list.WelcomeMarkdown, list.WelcomeTranslations);
}

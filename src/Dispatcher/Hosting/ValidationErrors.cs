namespace Dispatcher.Hosting;

/// <summary>Collects every bad field of a request, so one 400 answer names them all.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages)) _errors[field] = messages = [];
        messages.Add(message);
    }

    /// <summary>Adds an error when a required text is missing or longer than allowed; returns the trimmed text.</summary>
    public string? Text(string field, string? value, int maxLength, bool required = false)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            if (required) Add(field, $"'{field}' is required.");
            return null;
        }
        if (trimmed.Length > maxLength) Add(field, $"'{field}' has at most {maxLength} characters.");
        return trimmed;
    }

    /// <summary>Adds an error unless the value is an absolute http(s) URL.</summary>
    public string? Url(string field, string? value, bool required = false)
    {
        var text = Text(field, value, 2000, required);
        if (text is null) return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            Add(field, $"'{field}' must be an absolute http or https URL.");
        return text;
    }

    /// <summary>Adds an error unless the value is a language tag (BCP 47) the runtime knows; returns it in its usual case.</summary>
    public string? Language(string field, string? value, bool required = false)
    {
        var text = Text(field, value, 35, required);
        if (text is null) return null;
        if (ReaderLocale.TryLanguage(text, out var language)) return language;
        Add(field, $"'{field}' must be a language tag (BCP 47, e.g. en, tr, pt-BR), not '{text}'.");
        return null;
    }

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public Microsoft.AspNetCore.Http.HttpResults.ValidationProblem ToProblem() =>
        TypedResults.ValidationProblem(ToDictionary(), title: "The request has invalid fields.");
}

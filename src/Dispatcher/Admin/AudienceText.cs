using Dispatcher.Hosting;

namespace Dispatcher.Admin;

/// <summary>An audience as people write it in a form: a line per attribute, "city = Seoul, Busan".</summary>
public static class AudienceText
{
    /// <summary>The audience for the API's check, or the first line that is not "name = values".</summary>
    public static (Dictionary<string, List<string?>?>? Audience, string? Unreadable) Read(string? text)
    {
        var audience = new Dictionary<string, List<string?>?>(StringComparer.Ordinal);
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = line.IndexOf('=');
            if (equals <= 0) return (null, line);
            var name = line[..equals].Trim().ToLowerInvariant();
            var values = line[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries).Select(v => (string?)v).ToList();
            audience[name] = audience.TryGetValue(name, out var earlier) ? [.. earlier!, .. values] : values;
        }
        return (audience.Count == 0 ? null : audience, null);
    }

    public static ValidationErrors Unreadable(string line)
    {
        var errors = new ValidationErrors();
        errors.Add("audience", $"'{line}': write an attribute, '=' and its values, e.g. city = Seoul, Busan.");
        return errors;
    }

    /// <summary>A stored audience as the form shows it.</summary>
    public static string Write(Dispatcher.Subscribers.Audience audience) =>
        string.Join("\n", audience.Filters.Select(f => $"{f.Key} = {string.Join(", ", f.Value)}"));
}

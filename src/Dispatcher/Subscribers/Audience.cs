using System.Text.Json;
using Dispatcher.Data;
using Dispatcher.Hosting;

namespace Dispatcher.Subscribers;

/// <summary>Who of a send's lists it reaches, by the attributes people carry: <c>{"country": ["KR"], "city": ["Seoul",
/// "Busan"]}</c> is everyone whose country is KR and whose city is Seoul or Busan — every key must match, any of a key's
/// values. Values match exactly as stored (case included). Empty: everyone on the lists.</summary>
public sealed class Audience
{
    public const int MaxKeys = 10;
    public const int MaxValues = 100;

    public static readonly Audience Everyone = new(new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal));

    private Audience(SortedDictionary<string, IReadOnlyList<string>> filters) => Filters = filters;

    /// <summary>Attribute name → the values any of which it must have; keys in order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Filters { get; }

    public bool IsEveryone => Filters.Count == 0;

    /// <summary>Checks an audience from a request, naming each bad part under <paramref name="field"/>
    /// (<c>audience.country[1]</c>); null or empty is everyone.</summary>
    public static Audience Check(Dictionary<string, List<string?>?>? input, string field, ValidationErrors errors)
    {
        if (input is null || input.Count == 0) return Everyone;
        if (input.Count > MaxKeys) errors.Add(field, $"At most {MaxKeys} attributes in an audience.");
        var filters = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var (name, values) in input)
        {
            if (!ReaderDetails.IsAttributeName(name))
            {
                errors.Add($"{field}.{name}", "An attribute's name is 1–40 lowercase letters, digits, '-' or '_'.");
                continue;
            }
            if (values is null || values.Count == 0 || values.Count > MaxValues)
            {
                errors.Add($"{field}.{name}", $"Give 1–{MaxValues} values; a person matches with any of them.");
                continue;
            }
            var kept = new List<string>();
            for (var i = 0; i < values.Count; i++)
                if (string.IsNullOrWhiteSpace(values[i]) || !ReaderDetails.IsAttributeValue(values[i]!))
                    errors.Add($"{field}.{name}[{i}]", $"A value is 1–{ReaderDetails.MaxAttributeValue} characters, without line breaks.");
                else kept.Add(values[i]!.Trim());
            filters[name] = kept.Distinct(StringComparer.Ordinal).ToList();
        }
        return new Audience(filters);
    }

    /// <summary>Stored with what it filters (a text column; null for everyone).</summary>
    public string? ToJson() => IsEveryone ? null : JsonSerializer.Serialize(Filters);

    public static Audience FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json)) return Everyone;
        var read = JsonSerializer.Deserialize<Dictionary<string, List<string>>>(json) ?? [];
        return new Audience(new SortedDictionary<string, IReadOnlyList<string>>(
            read.ToDictionary(f => f.Key, f => (IReadOnlyList<string>)f.Value), StringComparer.Ordinal));
    }

    /// <summary>For an API answer: null for everyone.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? OrNull => IsEveryone ? null : Filters;

    /// <summary>"country is KR; city is Seoul or Busan", for people (the approver's page, the audit log).</summary>
    public override string ToString() => IsEveryone ? "everyone on the lists"
        : string.Join("; ", Filters.Select(f => $"{f.Key} is {string.Join(" or ", f.Value)}"));

    /// <summary>Whether a person with these attributes is in the audience: the same rule as <see cref="Condition"/>.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> attributes) =>
        Filters.All(f => attributes.TryGetValue(f.Key, out var value) && f.Value.Contains(value, StringComparer.Ordinal));

    /// <summary>The condition on a subscriber row <paramref name="person"/> (an alias of <c>subscribers</c>) as SQL with
    /// parameters, to follow a WHERE; empty for everyone. Attributes are a JSON object in a text column: each key is read
    /// with the database's own JSON function (names are checked to be [a-z0-9_-], and go as parameters anyway).</summary>
    public SqlText Condition(string person, bool postgres)
    {
        var sql = new SqlText();
        foreach (var (name, values) in Filters)
        {
            if (postgres) sql.Append($" AND ({person}.attributes::jsonb ->> ").Parameter(name).Append(") IN (");
            else sql.Append($" AND json_extract({person}.attributes, ").Parameter($"$.\"{name}\"").Append(") IN (");
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0) sql.Append(", ");
                sql.Parameter(values[i]);
            }
            sql.Append(")");
        }
        return sql;
    }
}

namespace Dispatcher.Subscribers;

/// <summary>A person, identified by a normalised email address. They have no account: signed links are their identity.</summary>
public sealed class Subscriber
{
    public long Id { get; set; }
    public required string Email { get; set; }
    public string? Name { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>The language they read (BCP 47, one of Dispatcher:Languages); null: Dispatcher:DefaultLanguage.</summary>
    public string? Language { get; set; }

    /// <summary>Their time zone (IANA, "Europe/Istanbul"); null: Dispatcher:TimeZone.</summary>
    public string? TimeZone { get; set; }

    /// <summary>What the organisation knows of them to choose an audience by: "country" → "KR", "city" → "Seoul".</summary>
    public Dictionary<string, string> Attributes { get; set; } = [];

    public List<Subscription> Subscriptions { get; set; } = [];

    /// <summary>The local date of the last daily digest planned for them (local-time digests): one per date.</summary>
    public DateOnly? DailyDigestOn { get; set; }

    /// <summary>The local date of the last weekly digest planned for them.</summary>
    public DateOnly? WeeklyDigestOn { get; set; }
}

/// <summary>How attributes are kept: one JSON object, keys in order, in a text column on both databases.</summary>
public static class SubscriberAttributes
{
    public static string ToJson(IReadOnlyDictionary<string, string> attributes) =>
        System.Text.Json.JsonSerializer.Serialize(new SortedDictionary<string, string>(attributes.ToDictionary(), StringComparer.Ordinal));

    public static Dictionary<string, string> FromJson(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
}

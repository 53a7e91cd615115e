using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Hosting;

public enum BusKind { InMemory, RabbitMq }

public enum DatabaseKind { Sqlite, Postgres }

/// <summary>Which half of the system this process runs. Many Workers may share one broker and database.</summary>
public enum HostRole { All, Web, Worker }

/// <summary>The "Dispatcher" configuration section.</summary>
public sealed class DispatcherOptions
{
    public const string Section = "Dispatcher";

    public BusKind Bus { get; set; } = BusKind.InMemory;
    public DatabaseKind Database { get; set; } = DatabaseKind.Sqlite;
    public HostRole Role { get; set; } = HostRole.All;

    /// <summary>Absolute base for links in emails; defaults to the listening URL.</summary>
    public string? PublicBaseUrl { get; set; }

    public bool HasValidPublicBaseUrl =>
        string.IsNullOrWhiteSpace(PublicBaseUrl)
        || (Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps));

    /// <summary>HMAC key for subscriber links and return paths: at least 32 random bytes, base64-encoded
    /// (<c>openssl rand -base64 32</c>). Generated once and kept in the database when not set.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Keys that signed links already sent: still accepted, never used to sign (a rotation's old keys).</summary>
    public List<string> PreviousSigningKeys { get; set; } = [];

    /// <summary>Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For and X-Forwarded-Proto are believed.
    /// Empty: the headers are ignored, and the connection's address is the client's.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>The trusted proxies that are set (an empty entry, as an unset ${VAR:-} in compose gives, is none).</summary>
    public IEnumerable<System.Net.IPNetwork> TrustedProxyNetworks =>
        TrustedProxies.Select(p => ProxyNetworks.TryParse(p, out var network) ? network : (System.Net.IPNetwork?)null).OfType<System.Net.IPNetwork>();

    public bool PublicBaseUrlIsHttps =>
        Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps;

    /// <summary>What is wrong with the secrets and proxies, naming the key; null when nothing.</summary>
    public string? Problem =>
        (SigningKey is { Length: > 0 } key && !SigningKeys.TryDecode(key, out _) ? SigningKeys.Requirement("Dispatcher:SigningKey") : null)
        ?? PreviousSigningKeys.Select((k, i) => string.IsNullOrWhiteSpace(k) || SigningKeys.TryDecode(k, out _) ? null : SigningKeys.Requirement($"Dispatcher:PreviousSigningKeys:{i}"))
            .FirstOrDefault(p => p is not null)
        ?? TrustedProxies.Select((p, i) => string.IsNullOrWhiteSpace(p) || ProxyNetworks.TryParse(p, out _) ? null
                : $"Dispatcher:TrustedProxies:{i} must be an IP address or a CIDR range (e.g. 10.0.0.5 or 10.0.0.0/24), not '{p}'.")
            .FirstOrDefault(p => p is not null)
        ?? ReaderProblem;

    /// <summary>The languages readers may choose, comma-separated BCP 47 tags ("en,tr,ko"); empty: every language
    /// Dispatcher has texts for.</summary>
    public string? Languages { get; set; }

    /// <summary>The language of readers who chose none.</summary>
    public string DefaultLanguage { get; set; } = "en";

    /// <summary>The time zone of readers who gave none (IANA).</summary>
    public string TimeZone { get; set; } = "UTC";

    private Tuple<string?, IReadOnlyList<string>>? _readerLanguages; // one reference: read whole from any thread

    /// <summary>Dispatcher:Languages as a list; every language with texts when it is empty. Worked out once per value:
    /// every sign-up and imported row asks.</summary>
    public IReadOnlyList<string> ReaderLanguages
    {
        get
        {
            if (_readerLanguages is { } known && known.Item1 == Languages) return known.Item2;
            IReadOnlyList<string> list = string.IsNullOrWhiteSpace(Languages) ? ReaderLocale.WithTexts
                : LanguageTags().Select(t => ReaderLocale.TryLanguage(t, out var l) ? l : t).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            _readerLanguages = Tuple.Create(Languages, list);
            return list;
        }
    }

    private Tuple<string?, string, System.Collections.Concurrent.ConcurrentDictionary<string, string>>? _languagesOf;

    /// <summary>The language of a reader's emails and pages (see <see cref="ReaderLocale.OfferedOr"/>). Asked for every
    /// message sent, so each answer is kept: working one out asks ICU for a culture, which costs more than the rest of a
    /// message's filling-in.</summary>
    public string LanguageOf(string? readerLanguage)
    {
        var known = _languagesOf;
        if (known is null || known.Item1 != Languages || known.Item2 != DefaultLanguage)
            _languagesOf = known = Tuple.Create(Languages, DefaultLanguage, new System.Collections.Concurrent.ConcurrentDictionary<string, string>());
        var key = readerLanguage ?? "";
        if (known.Item3.TryGetValue(key, out var language)) return language;
        language = ReaderLocale.OfferedOr(readerLanguage, ReaderLanguages, ReaderLocale.TryLanguage(DefaultLanguage, out var fallback) ? fallback : "en");
        if (known.Item3.Count < 1000) known.Item3[key] = language; // readers' languages are a few; anything else is not kept
        return language;
    }

    private string[] LanguageTags() => (Languages ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>What is wrong with the reader settings, naming the key; null when nothing.</summary>
    public string? ReaderProblem =>
        (string.IsNullOrWhiteSpace(Languages) ? null
            : LanguageTags().Where(t => !ReaderLocale.TryLanguage(t, out _))
                .Select(t => $"Dispatcher:Languages: '{t}' is not a language tag (BCP 47, e.g. en, tr, pt-BR).").FirstOrDefault())
        ?? (!ReaderLocale.TryLanguage(DefaultLanguage, out var fallback)
            ? $"Dispatcher:DefaultLanguage: '{DefaultLanguage}' is not a language tag (BCP 47, e.g. en)."
            : !ReaderLocale.IsOffered(fallback, ReaderLanguages)
                ? $"Dispatcher:DefaultLanguage '{DefaultLanguage}' must be one of Dispatcher:Languages ({string.Join(",", ReaderLanguages)})."
                : null)
        ?? (!ReaderLocale.TryTimeZone(TimeZone, out _) ? $"Dispatcher:TimeZone: '{TimeZone}' is not an IANA time zone (e.g. UTC, Europe/Berlin)." : null);

    public BootstrapOptions Bootstrap { get; set; } = new();

    public bool RunsWeb => Role is HostRole.All or HostRole.Web;
    public bool RunsWorker => Role is HostRole.All or HostRole.Worker;
}

public sealed class BootstrapOptions
{
    [EmailAddress]
    public string? AdminEmail { get; set; }

    public string? AdminPassword { get; set; }

    /// <summary>Creates or updates an admin API key with exactly this value at start.</summary>
    [MinLength(16, ErrorMessage = "Dispatcher:Bootstrap:ApiKey must be at least 16 characters.")]
    public string? ApiKey { get; set; }
}

/// <summary>The "RabbitMq" configuration section.</summary>
public sealed class RabbitMqOptions : IValidatableObject
{
    public const string Section = "RabbitMq";

    [Required] public string Host { get; set; } = "localhost";
    [Range(1, 65535)] public int Port { get; set; } = 5672;

    /// <summary>The nodes of a cluster, "host:port" separated by commas (a port left out is Port). Set, Dispatcher connects
    /// to the first that answers and, when that node goes, to another; Host is then only the bus's name.</summary>
    public string? Hosts { get; set; }

    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "guest";
    [Required] public string Password { get; set; } = "guest";

    /// <summary>Hosts as "host:port" each; empty without a cluster.</summary>
    public IReadOnlyList<string> Nodes => string.IsNullOrWhiteSpace(Hosts) ? []
        : [.. Hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => n.Contains(':') ? n : $"{n}:{Port}")];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var node in Nodes)
        {
            var colon = node.LastIndexOf(':');
            if (colon <= 0 || Uri.CheckHostName(node[..colon]) == UriHostNameType.Unknown
                || !int.TryParse(node[(colon + 1)..], out var port) || port is < 1 or > 65535)
                yield return new ValidationResult($"RabbitMq:Hosts: '{node}' is not host:port (e.g. rabbit-1:5672).", [nameof(Hosts)]);
        }
    }
}

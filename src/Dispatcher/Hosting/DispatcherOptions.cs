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

    /// <summary>HMAC key for subscriber tokens; generated once and kept in the database when not set.</summary>
    public string? SigningKey { get; set; }

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
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    [Required] public string Host { get; set; } = "localhost";
    [Range(1, 65535)] public int Port { get; set; } = 5672;
    [Required] public string VirtualHost { get; set; } = "/";
    [Required] public string Username { get; set; } = "guest";
    [Required] public string Password { get; set; } = "guest";
}

namespace Dispatcher.Access;

/// <summary>An API key. Only its SHA-256 hash is stored: the key itself is shown once, when it is created.</summary>
public sealed class ApiKey
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public Role Role { get; set; }

    /// <summary>Hex SHA-256 of the key. Keys are 256-bit random, so a fast hash is enough.</summary>
    public required string KeyHash { get; set; }

    /// <summary>The first characters of a generated key ("dsp_" and 4 of its 43 random ones), to recognise it in lists;
    /// empty for the bootstrap key, which the operator chose.</summary>
    public required string Prefix { get; set; }

    /// <summary>Slugs of the lists an organiser key may act on.</summary>
    public List<string> Lists { get; set; } = [];

    /// <summary>Created from Dispatcher:Bootstrap:ApiKey; updated when that setting changes.</summary>
    public bool IsBootstrap { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
}

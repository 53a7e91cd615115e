using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Metrics;

/// <summary>The "Metrics" section: who may read /metrics (dispatch sizes, send rates and relay names are of use to
/// an attacker mapping the organisation). Neither set: anyone who reaches the site, as before.</summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary>Scrapers must send <c>Authorization: Bearer &lt;token&gt;</c> (Prometheus: <c>authorization.credentials</c>).</summary>
    [MinLength(16, ErrorMessage = "Metrics:BearerToken must be at least 16 characters.")]
    public string? BearerToken { get; set; }

    /// <summary>/metrics is served on this port only (on the same host as the site), e.g. one the firewall keeps internal.</summary>
    [Range(1, 65535)] public int? Port { get; set; }
}

using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Webhooks;

/// <summary>The "Webhooks" section.</summary>
public sealed class WebhookOptions : IValidatableObject
{
    public const string Section = "Webhooks";

    /// <summary>Let endpoints be on loopback, private and link-local addresses (an intranet; tests). Off: an endpoint's URL
    /// cannot reach the server's neighbours (see Hosting/PublicNetworks), as for feeds.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>An endpoint that does not answer within this counts as a failed attempt.</summary>
    [Range(1, 120)] public int TimeoutSeconds { get; set; } = 10;

    /// <summary>How long a delivery is retried before it counts as failed.</summary>
    public TimeSpan RetryFor { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The first retry's wait; each next doubles (±20 %), up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often workers look for events to fan out and deliveries that are due.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Endpoints posted to at once per worker: a slow one never holds up the others.</summary>
    [Range(1, 64)] public int Concurrency { get; set; } = 8;

    /// <summary>How long a delivery is kept after its last attempt (delivered or given up), with its event: the admin
    /// page's history and "re-send" reach this far back. Events and deliveries still to be told are kept until told.</summary>
    public TimeSpan KeepFor { get; set; } = TimeSpan.FromDays(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (KeepFor < TimeSpan.FromHours(1))
            yield return new ValidationResult($"Webhooks:KeepFor ({KeepFor}) must be at least an hour (e.g. 30.00:00:00 for 30 days).", [nameof(KeepFor)]);
    }
}

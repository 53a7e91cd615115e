using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Feeds;

/// <summary>The "Feeds" section.</summary>
public sealed class FeedOptions
{
    public const string Section = "Feeds";

    /// <summary>A feed that does not answer within this gives up (and is tried again later).</summary>
    [Range(1, 600)] public int TimeoutSeconds { get; set; } = 20;

    /// <summary>Bigger answers are refused: a feed is not a download.</summary>
    [Range(1024, 100 * 1024 * 1024)] public int MaxBytes { get; set; } = 5 * 1024 * 1024;

    /// <summary>How often workers look for feeds that are due.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between retries of a failing feed.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(6);

    /// <summary>On a feed's first poll, items published within this long go out as new; older ones (the site's
    /// archive) are stored without mailing anyone.</summary>
    public TimeSpan FirstPollSendsWithin { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Let feeds be fetched from loopback, private and link-local addresses (an intranet site; tests). Off: a
    /// feed's URL cannot reach the server's neighbours (see Hosting/PublicNetworks).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Feeds polled at once per worker, so one slow feed never holds up the rest.</summary>
    [Range(1, 64)] public int Concurrency { get; set; } = 4;
}

using Cronos;

namespace Dispatcher.Digests;

/// <summary>The "Digests" section. Schedules are cron expressions, optionally followed by a time zone
/// ("0 7 * * 1 Europe/Berlin"); without one, Digests:TimeZone applies.</summary>
public sealed class DigestOptions
{
    public const string Section = "Digests";

    public string Daily { get; set; } = "0 7 * * *";
    public string Weekly { get; set; } = "0 7 * * 1";
    public string TimeZone { get; set; } = "Europe/London";

    /// <summary>A digest holds statements no older than this, however long ago the person's last digest was.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(35);

    /// <summary>A scheduled run missed by up to this much (every worker was down) still runs when one comes back.</summary>
    public TimeSpan CatchUp { get; set; } = TimeSpan.FromHours(6);

    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    public (CronExpression Cron, TimeZoneInfo Zone) Schedule(Subscribers.Cadence cadence) =>
        Parse(cadence == Subscribers.Cadence.Weekly ? Weekly : Daily, TimeZone);

    public static (CronExpression Cron, TimeZoneInfo Zone) Parse(string schedule, string defaultZone)
    {
        var parts = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var zone = defaultZone;
        if (parts.Length == 6 && (parts[5].Contains('/') || parts[5].Equals("UTC", StringComparison.OrdinalIgnoreCase)))
        {
            zone = parts[5];
            parts = parts[..5];
        }
        return (CronExpression.Parse(string.Join(' ', parts)), TimeZoneInfo.FindSystemTimeZoneById(zone));
    }

    public bool IsValid(out string? error)
    {
        try
        {
            Parse(Daily, TimeZone);
            Parse(Weekly, TimeZone);
            error = null;
            return true;
        }
        catch (Exception e) when (e is CronFormatException or TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            error = e.Message;
            return false;
        }
    }
}

using Cronos;

namespace Dispatcher.Digests;

/// <summary>The "Digests" section. Digests go at <see cref="LocalTime"/> in each reader's time zone (weekly ones on
/// <see cref="WeeklyDay"/>). A cadence given a cron schedule instead (Digests:Daily, Digests:Weekly; optionally followed
/// by a time zone, "0 7 * * 1 Europe/Berlin", else Digests:TimeZone) goes to everyone at once at that time.</summary>
public sealed class DigestOptions
{
    public const string Section = "Digests";

    /// <summary>Cron schedule of the daily digest for everyone at once; null: at <see cref="LocalTime"/> in each reader's zone.</summary>
    public string? Daily { get; set; }

    /// <summary>Cron schedule of the weekly digest for everyone at once; null: on <see cref="WeeklyDay"/> at <see cref="LocalTime"/>.</summary>
    public string? Weekly { get; set; }

    /// <summary>The zone of cron schedules that name none.</summary>
    public string TimeZone { get; set; } = "Europe/London";

    /// <summary>The reader's local time of day their digest goes at ("07:00").</summary>
    public string LocalTime { get; set; } = "07:00";

    /// <summary>The day of the week weekly digests go ("Monday").</summary>
    public string WeeklyDay { get; set; } = "Monday";

    public TimeOnly LocalTimeOfDay => TimeOnly.ParseExact(LocalTime.Trim(), ["H:mm", "HH:mm"], System.Globalization.CultureInfo.InvariantCulture);

    public DayOfWeek WeeklyDayOfWeek => Enum.Parse<DayOfWeek>(WeeklyDay.Trim(), ignoreCase: true);

    /// <summary>Whether a cadence goes at each reader's local time (no cron schedule set for it).</summary>
    public bool IsLocal(Subscribers.Cadence cadence) => string.IsNullOrWhiteSpace(cadence == Subscribers.Cadence.Weekly ? Weekly : Daily);

    /// <summary>A digest holds statements no older than this, however long ago the person's last digest was.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(35);

    /// <summary>A scheduled run missed by up to this much (every worker was down) still runs when one comes back.</summary>
    public TimeSpan CatchUp { get; set; } = TimeSpan.FromHours(6);

    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A cadence's cron schedule (only when it has one: see <see cref="IsLocal"/>).</summary>
    public (CronExpression Cron, TimeZoneInfo Zone) Schedule(Subscribers.Cadence cadence) =>
        Parse((cadence == Subscribers.Cadence.Weekly ? Weekly : Daily)!, TimeZone);

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

    /// <summary>What is wrong with the section, naming the key; null when nothing.</summary>
    public string? Problem
    {
        get
        {
            if (!TimeOnly.TryParseExact(LocalTime?.Trim(), ["H:mm", "HH:mm"], System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.None, out _))
                return $"Digests:LocalTime: '{LocalTime}' is not a time of day (e.g. 07:00).";
            if (!Enum.TryParse<DayOfWeek>(WeeklyDay?.Trim(), ignoreCase: true, out _) || int.TryParse(WeeklyDay, out _))
                return $"Digests:WeeklyDay: '{WeeklyDay}' is not a day of the week (e.g. Monday).";
            foreach (var (key, schedule) in new[] { ("Digests:Daily", Daily), ("Digests:Weekly", Weekly) })
            {
                if (string.IsNullOrWhiteSpace(schedule)) continue;
                try
                {
                    Parse(schedule, TimeZone);
                }
                catch (Exception e) when (e is CronFormatException or TimeZoneNotFoundException or InvalidTimeZoneException)
                {
                    return $"{key}: '{schedule}' is not a cron schedule with an optional time zone ({e.Message}).";
                }
            }
            return null;
        }
    }
}

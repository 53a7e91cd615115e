namespace Dispatcher.Digests;

/// <summary>When a reader's digest is due: at a local time of day in their zone — every day, or on one day of the
/// week. A period is a local date, so a change of the clocks can neither give a reader two digests on one date nor
/// skip one: the instant of each date is worked out on its own.</summary>
public static class LocalSchedule
{
    /// <summary>The most recent local date (on <paramref name="weeklyDay"/> when given) whose digest time has passed at
    /// <paramref name="nowUtc"/>, with that instant; null when it passed more than <paramref name="catchUp"/> ago.</summary>
    public static (DateOnly Date, DateTime DueUtc)? LatestDue(TimeOnly localTime, DayOfWeek? weeklyDay, TimeZoneInfo zone, DateTime nowUtc, TimeSpan catchUp)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(nowUtc, zone));
        // Tomorrow too: a time just after a gap can fall on the next local date in UTC terms; eight days cover a week.
        for (var date = today.AddDays(1); date >= today.AddDays(-8); date = date.AddDays(-1))
        {
            if (weeklyDay is { } day && date.DayOfWeek != day) continue;
            var due = InstantOf(date, localTime, zone);
            if (due > nowUtc) continue;
            return nowUtc - due <= catchUp ? (date, due) : null;
        }
        return null;
    }

    /// <summary>The instant a local date and time happen in <paramref name="zone"/>. A time the clocks skip (going
    /// forward) is moved on by the length of the gap (02:30 in a 02:00→03:00 gap is 03:30); a time that happens twice
    /// (going back) is its first occurrence.</summary>
    public static DateTime InstantOf(DateOnly date, TimeOnly time, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        if (zone.IsAmbiguousTime(local))
            return DateTime.SpecifyKind(local - zone.GetAmbiguousTimeOffsets(local).Max(), DateTimeKind.Utc);
        if (zone.IsInvalidTime(local))
            return DateTime.SpecifyKind(local - zone.GetUtcOffset(local.AddHours(-6)), DateTimeKind.Utc); // the offset before the gap
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }
}

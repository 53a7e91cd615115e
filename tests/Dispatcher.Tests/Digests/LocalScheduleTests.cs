using Dispatcher.Digests;

namespace Dispatcher.Tests.Digests;

/// <summary>Digests at the reader's local time: walking the clock minute by minute across the changes of the clocks,
/// each zone has exactly one due instant per local date — at the local time asked for, or just after a skipped one.</summary>
public sealed class LocalScheduleTests
{
    private static readonly TimeSpan CatchUp = TimeSpan.FromHours(6);

    /// <summary>Every (date, instant) the schedule says is due, looking every <paramref name="step"/> from start to end.</summary>
    private static List<(DateOnly Date, DateTime Due)> Walk(string zoneId, TimeOnly localTime, DayOfWeek? day, DateTime start, DateTime end, TimeSpan step)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var seen = new List<(DateOnly, DateTime)>();
        for (var now = start; now <= end; now += step)
            if (LocalSchedule.LatestDue(localTime, day, zone, now, CatchUp) is { } due && !seen.Contains(due))
            {
                Assert.True(due.DueUtc <= now && now - due.DueUtc <= CatchUp);
                seen.Add(due);
            }
        return seen;
    }

    [Theory]
    [InlineData("Europe/Berlin", "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z")] // clocks forward on 29 March
    [InlineData("Europe/Berlin", "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z")] // back on 25 October
    [InlineData("America/New_York", "2026-03-06T00:00:00Z", "2026-03-10T00:00:00Z")] // forward on 8 March
    [InlineData("Asia/Seoul", "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z")]
    [InlineData("America/Sao_Paulo", "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z")]
    public void Each_local_date_is_due_once_at_seven_local_time(string zoneId, string from, string to)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        var runs = Walk(zoneId, new TimeOnly(7, 0), null, DateTime.Parse(from).ToUniversalTime(), DateTime.Parse(to).ToUniversalTime(), TimeSpan.FromMinutes(1));
        Assert.Equal(runs.Select(r => r.Date).Distinct().Count(), runs.Count); // never two for a date
        Assert.Equal(Enumerable.Range(0, runs.Count).Select(i => runs[0].Date.AddDays(i)), runs.Select(r => r.Date)); // never a date without
        Assert.True(runs.Count >= 3);
        Assert.All(runs, r => Assert.Equal(new DateTime(r.Date, new TimeOnly(7, 0)), TimeZoneInfo.ConvertTimeFromUtc(r.Due, zone)));
    }

    [Fact]
    public void A_time_the_clocks_skip_goes_just_after_the_gap_and_one_that_happens_twice_goes_the_first_time()
    {
        // Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist that day.
        var spring = Walk("Europe/Berlin", new TimeOnly(2, 30), null, new DateTime(2026, 3, 28, 0, 0, 0, DateTimeKind.Utc),
            new DateTime(2026, 3, 30, 6, 0, 0, DateTimeKind.Utc), TimeSpan.FromMinutes(1));
        Assert.Equal([new DateOnly(2026, 3, 28), new DateOnly(2026, 3, 29), new DateOnly(2026, 3, 30)], spring.Select(r => r.Date));
        Assert.Equal(new DateTime(2026, 3, 29, 1, 30, 0, DateTimeKind.Utc), spring[1].Due); // 03:30 CEST

        // 25 October 2026: 03:00 CEST becomes 02:00 CET, so 02:30 happens twice; the first is 00:30 UTC.
        var autumn = Walk("Europe/Berlin", new TimeOnly(2, 30), null, new DateTime(2026, 10, 24, 0, 0, 0, DateTimeKind.Utc),
            new DateTime(2026, 10, 26, 6, 0, 0, DateTimeKind.Utc), TimeSpan.FromMinutes(1));
        Assert.Equal([new DateOnly(2026, 10, 24), new DateOnly(2026, 10, 25), new DateOnly(2026, 10, 26)], autumn.Select(r => r.Date));
        Assert.Equal(new DateTime(2026, 10, 25, 0, 30, 0, DateTimeKind.Utc), autumn[1].Due);
    }

    [Fact]
    public void Weekly_digests_are_due_on_the_day_asked_for_once_a_week()
    {
        var runs = Walk("Asia/Seoul", new TimeOnly(7, 0), DayOfWeek.Monday, new DateTime(2026, 11, 1, 0, 0, 0, DateTimeKind.Utc),
            new DateTime(2026, 11, 30, 0, 0, 0, DateTimeKind.Utc), TimeSpan.FromMinutes(10));
        Assert.Equal([new DateOnly(2026, 11, 2), new DateOnly(2026, 11, 9), new DateOnly(2026, 11, 16), new DateOnly(2026, 11, 23), new DateOnly(2026, 11, 30)], runs.Select(r => r.Date));
        Assert.All(runs, r => Assert.Equal(22, r.Due.Hour)); // 07:00 KST is 22:00 UTC the day before
    }

    [Fact]
    public void A_run_missed_for_longer_than_the_catch_up_waits_for_the_next_date()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        Assert.Null(LocalSchedule.LatestDue(new TimeOnly(7, 0), null, zone, new DateTime(2026, 12, 2, 13, 0, 0, DateTimeKind.Utc), CatchUp));
        Assert.Equal(new DateOnly(2026, 12, 2),
            LocalSchedule.LatestDue(new TimeOnly(7, 0), null, zone, new DateTime(2026, 12, 2, 11, 59, 0, DateTimeKind.Utc), CatchUp)!.Value.Date);
    }
}

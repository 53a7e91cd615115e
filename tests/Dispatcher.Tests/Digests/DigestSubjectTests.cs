using Dispatcher.Digests;

namespace Dispatcher.Tests.Digests;

public sealed class DigestSubjectTests
{
    private static DigestItem Item(string title) => new(1, title, null, DateTime.UtcNow, null, null);

    [Fact]
    public void A_short_digest_names_every_statement()
    {
        Assert.Equal("Daily statements: 2 new — Stop the repression, Ankara bomb attacks",
            DigestContent.Subject("Daily", [Item("Stop the repression"), Item("Ankara bomb attacks")]));
    }

    [Fact]
    public void A_long_one_is_cut_at_a_word_with_an_ellipsis()
    {
        var subject = DigestContent.Subject("Weekly", [
            Item("Stop the repression of South Korean trade unionists"),
            Item("Ankara bomb attacks: Blood on Erdoğan’s hands"),
            Item("Syria, Iraq and the movement of refugees"),
            Item("We don't want Trump—but neither do the bosses"),
            Item("Solidarity")]);

        Assert.StartsWith("Weekly statements: 5 new — Stop the repression of South Korean trade unionists, Ankara", subject);
        Assert.EndsWith("…", subject);
        Assert.True(subject.Length <= 121, subject);
        Assert.DoesNotContain(", …", subject);
    }

    [Theory]
    [InlineData("0 7 * * *", "Europe/London")]
    [InlineData("0 7 * * 1 Europe/Berlin", "Europe/London")]
    [InlineData("*/5 * * * * UTC", "Europe/London")]
    public void Schedules_are_cron_with_a_time_zone(string schedule, string zone)
    {
        var (cron, timeZone) = DigestOptions.Parse(schedule, zone);
        Assert.NotNull(cron.GetNextOccurrence(DateTime.UtcNow, timeZone));
    }

    [Fact]
    public void By_default_digests_go_at_seven_local_time_on_mondays_for_weekly_and_a_cron_schedule_is_for_everyone_at_once()
    {
        var defaults = new DigestOptions();
        Assert.True(defaults.IsLocal(Dispatcher.Subscribers.Cadence.Daily) && defaults.IsLocal(Dispatcher.Subscribers.Cadence.Weekly));
        Assert.Equal((new TimeOnly(7, 0), DayOfWeek.Monday), (defaults.LocalTimeOfDay, defaults.WeeklyDayOfWeek));
        Assert.Null(defaults.Problem);

        var cron = new DigestOptions { Daily = "0 7 * * *" };
        Assert.False(cron.IsLocal(Dispatcher.Subscribers.Cadence.Daily));
        var (expression, zone) = cron.Schedule(Dispatcher.Subscribers.Cadence.Daily);
        Assert.Equal(new DateTime(2026, 7, 1, 6, 0, 0, DateTimeKind.Utc), expression.GetNextOccurrence(new DateTime(2026, 7, 1, 0, 0, 0, DateTimeKind.Utc), zone)); // 07:00 BST
    }

    [Theory]
    [InlineData("LocalTime", "7 o'clock", "Digests:LocalTime")]
    [InlineData("LocalTime", "25:00", "Digests:LocalTime")]
    [InlineData("WeeklyDay", "Caturday", "Digests:WeeklyDay")]
    [InlineData("WeeklyDay", "1", "Digests:WeeklyDay")]
    [InlineData("Daily", "every morning", "Digests:Daily")]
    public void A_bad_setting_is_named(string property, string value, string named)
    {
        var options = new DigestOptions();
        typeof(DigestOptions).GetProperty(property)!.SetValue(options, value);
        Assert.StartsWith(named + ":", options.Problem);
    }
}

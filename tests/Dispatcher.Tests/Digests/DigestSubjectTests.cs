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
    public void The_default_daily_digest_is_at_seven_in_london()
    {
        var (cron, zone) = new DigestOptions().Schedule(Dispatcher.Subscribers.Cadence.Daily);
        var next = cron.GetNextOccurrence(new DateTime(2026, 7, 1, 0, 0, 0, DateTimeKind.Utc), zone);
        Assert.Equal(new DateTime(2026, 7, 1, 6, 0, 0, DateTimeKind.Utc), next); // 07:00 BST
    }
}

using System.Net;
using Dispatcher.Digests;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Digests;

/// <summary>Digests at breakfast in each reader's zone: the app's clock is walked across three days and Berlin's change
/// to summer time while the real scheduler watches it; each reader gets one digest per local date, at 07:00 theirs.</summary>
public sealed class LocalTimeDigestTests
{
    /// <summary>The app's idea of now, moved by the test; its timers still run on the real clock, so the scheduler keeps
    /// looking every Digests:CheckInterval.</summary>
    private sealed class WalkedClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    [Theory]
    [BothStacks]
    public async Task Readers_in_Seoul_Berlin_and_Sao_Paulo_get_one_digest_per_local_date_across_a_change_of_the_clocks(Stack stack)
    {
        var clock = new WalkedClock(new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero)); // Friday; Berlin goes to summer time on Sunday
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?>
        {
            ["Digests:LocalTime"] = "07:00",
            ["Digests:CheckInterval"] = "00:00:00.100",
            ["Digests:CatchUp"] = "01:00:00", // each 07:00 is seen at that hour and the next, never a day late
            ["Dispatcher:TimeZone"] = "UTC",
        }, services: s => s.AddSingleton<TimeProvider>(clock));
        await app.Api.CreateListAsync("korea", "Korea solidarity", doubleOptIn: false);
        foreach (var (email, zone) in new[] { ("minji@example.org", "Asia/Seoul"), ("hans@example.org", "Europe/Berlin"), ("joana@example.org", "America/Sao_Paulo") })
            await app.Api.PostOkAsync("/api/lists/korea/subscribers", new { email, timeZone = zone, cadence = "daily", confirmed = true }, HttpStatusCode.Created);
        var scheduler = app.Services.GetRequiredService<DigestScheduler>();

        // Three days in steps of an hour, a new statement every six; the scheduler looks at least twice at each hour.
        for (var hour = 0; hour < 72; hour++)
        {
            if (hour % 6 == 0) await app.Api.PublishAsync(new { title = $"Statement of hour {hour}", lists = new[] { "korea" } });
            clock.Advance(TimeSpan.FromHours(1));
            var checks = scheduler.Checks;
            await Eventually.UntilAsync(() => scheduler.Checks >= checks + 2, TimeSpan.FromSeconds(10), "the scheduler to look at the new hour");
        }

        await using var scope = app.Services.CreateAsyncScope();
        var runs = await scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>().DigestRuns.AsNoTracking()
            .OrderBy(r => r.Period).ToListAsync();
        var expected = new Dictionary<string, DateTime[]>
        {
            // 07:00 local, as UTC: Seoul is UTC+9 all year; São Paulo UTC−3; Berlin UTC+1, then UTC+2 from 29 March.
            ["Asia/Seoul"] = [new(2026, 3, 27, 22, 0, 0), new(2026, 3, 28, 22, 0, 0), new(2026, 3, 29, 22, 0, 0)],
            ["Europe/Berlin"] = [new(2026, 3, 28, 6, 0, 0), new(2026, 3, 29, 5, 0, 0), new(2026, 3, 30, 5, 0, 0)],
            ["America/Sao_Paulo"] = [new(2026, 3, 28, 10, 0, 0), new(2026, 3, 29, 10, 0, 0), new(2026, 3, 30, 10, 0, 0)],
        };
        foreach (var (zone, instants) in expected)
        {
            var mine = runs.Where(r => r.TimeZone == zone).ToList();
            Assert.Equal(instants.Select(i => DateTime.SpecifyKind(i, DateTimeKind.Utc)), mine.Select(r => r.Period)); // one per local date, at 07:00 there
            Assert.Equal(mine.Count, mine.Select(r => r.LocalDate).Distinct().Count());
        }
        // A statement every six hours: each of the nine digests has something new.
        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n >= 9, TimeSpan.FromSeconds(30), "the nine digests");
        foreach (var email in new[] { "minji@example.org", "hans@example.org", "joana@example.org" })
        {
            var mail = smtp.To(email);
            Assert.Equal(3, mail.Count);
            Assert.All(mail, m => Assert.StartsWith("Daily statements:", m.Message.Subject));
        }
    }

    [Theory]
    [BothStacks]
    public async Task A_reader_who_moves_west_after_their_digest_gets_no_second_one_for_the_same_date(Stack stack)
    {
        var clock = new WalkedClock(new DateTimeOffset(2026, 12, 1, 21, 0, 0, TimeSpan.Zero)); // 06:00 on 2 December in Seoul
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?>
        {
            ["Digests:CheckInterval"] = "00:00:00.100",
            ["Digests:CatchUp"] = "01:00:00",
        }, services: s => s.AddSingleton<TimeProvider>(clock));
        await app.Api.CreateListAsync("korea", "Korea solidarity", doubleOptIn: false);
        await app.Api.PostOkAsync("/api/lists/korea/subscribers",
            new { email = "minji@example.org", timeZone = "Asia/Seoul", cadence = "daily", confirmed = true }, HttpStatusCode.Created);
        var scheduler = app.Services.GetRequiredService<DigestScheduler>();

        async Task StepAsync(int hours)
        {
            for (var i = 0; i < hours; i++)
            {
                clock.Advance(TimeSpan.FromHours(1));
                var checks = scheduler.Checks;
                await Eventually.UntilAsync(() => scheduler.Checks >= checks + 2, TimeSpan.FromSeconds(10), "the scheduler to look at the new hour");
            }
        }

        await app.Api.PublishAsync(new { title = "Before breakfast in Seoul", lists = new[] { "korea" } });
        await StepAsync(2); // 07:00 and 08:00 on 2 December in Seoul: the digest for that date
        await Eventually.UntilAsync(() => Task.FromResult(smtp.To("minji@example.org").Count), n => n == 1, TimeSpan.FromSeconds(30), "Seoul's digest");

        // She flies to Berlin, where it is still 1 December; something new is published before Berlin's breakfast.
        await app.Api.PostOkAsync("/api/lists/korea/subscribers", new { email = "minji@example.org", timeZone = "Europe/Berlin", cadence = "daily", confirmed = true }, HttpStatusCode.OK);
        await app.Api.PublishAsync(new { title = "Before breakfast in Berlin", lists = new[] { "korea" } });
        await StepAsync(10); // 07:00 on 2 December in Berlin is 06:00 UTC: her date had its digest already

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>();
        var berlin = await db.DigestRuns.AsNoTracking().SingleAsync(r => r.TimeZone == "Europe/Berlin");
        Assert.Equal(new DateOnly(2026, 12, 2), berlin.LocalDate);
        Assert.Equal(0, (await app.Api.GetJsonAsync($"/api/dispatches/{berlin.DispatchId}")).Int("total"));

        await StepAsync(24); // 3 December in Berlin: the statement she has not had
        await Eventually.UntilAsync(() => Task.FromResult(smtp.To("minji@example.org").Count), n => n == 2, TimeSpan.FromSeconds(30), "the next day's digest");
        Assert.Contains("Before breakfast in Berlin", smtp.To("minji@example.org").OrderBy(m => m.Sequence).Last().Message.TextBody);
    }
}

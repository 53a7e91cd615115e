using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dispatcher.Access;
using Dispatcher.Admin;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Admin;

/// <summary>The dashboard's numbers over time, in each database's SQL: subscribers per list from when they confirmed
/// and left, and an organiser's charts made of their own lists only.</summary>
public sealed class DashboardChartsTests
{
    [Theory]
    [BothStacks]
    public async Task Confirmed_subscribers_per_day_follow_joins_and_leaves_and_an_organiser_sees_only_their_lists(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null);
        await app.Api.CreateListAsync("korea", "Korea solidarity"); // double opt-in: "never" stays unconfirmed
        await app.Api.CreateListAsync("turkey", "Turkey solidarity", doubleOptIn: false);
        foreach (var who in new[] { "always", "left", "new", "long-gone", "bounced" })
            await app.Api.PostOkAsync("/api/lists/korea/subscribers", new { email = $"{who}@example.org", confirmed = true }, HttpStatusCode.Created);
        await app.Api.PostOkAsync("/api/lists/korea/subscribers", new { email = "never@example.org", confirmed = false }, HttpStatusCode.Created);
        await app.Api.PostOkAsync("/api/lists/turkey/subscribers", new { email = "ayse@example.org", confirmed = true }, HttpStatusCode.Created);

        var today = DateTime.UtcNow.Date;
        DateTime DaysAgo(int days) => today.AddDays(-days).AddHours(12);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            var korea = await db.Subscriptions.Include(s => s.Subscriber).Where(s => s.List!.Slug == "korea").ToDictionaryAsync(s => s.Subscriber!.Email);
            void Set(string who, int confirmedDaysAgo, SubscriptionStatus status = SubscriptionStatus.Confirmed, int? leftDaysAgo = null, bool unsubscribed = true)
            {
                var s = korea[$"{who}@example.org"];
                s.ConfirmedAt = DaysAgo(confirmedDaysAgo);
                s.Status = status;
                s.UpdatedAt = leftDaysAgo is { } l ? DaysAgo(l) : s.ConfirmedAt.Value;
                s.UnsubscribedAt = leftDaysAgo is { } u && unsubscribed ? DaysAgo(u) : null;
            }
            Set("always", 40);
            Set("left", 40, SubscriptionStatus.Unsubscribed, leftDaysAgo: 10);
            Set("new", 5);
            Set("long-gone", 50, SubscriptionStatus.Unsubscribed, leftDaysAgo: 45);
            Set("bounced", 3, SubscriptionStatus.Bounced, leftDaysAgo: 1, unsubscribed: false); // a bounce only touches UpdatedAt
            await db.SaveChangesAsync();
        }
        foreach (var list in new[] { "korea", "turkey" })
        {
            var (_, dispatch) = await app.Api.PublishAsync(new { title = $"Solidarity with {list}", lists = new[] { list } });
            await app.Api.WaitForDispatchAsync(dispatch!.Value);
        }

        var admin = await ChartsAsync(app, Caller.System);
        var organiser = await ChartsAsync(app, new Caller("7", "korea@example.org", Role.Organiser, new HashSet<string> { "korea" }));

        // Day by day over 30 days (the last is today): 2 until "left" goes, 1 until "new" comes, then "bounced" for two days.
        int[] expected = [.. Enumerable.Range(0, 30).Select(i => (29 - i) switch
        {
            > 10 => 2, > 5 => 1, > 3 => 2, > 1 => 3, _ => 2,
        })];
        var adminLists = admin["confirmed"]!["lists"]!.AsArray();
        Assert.Equal(["Korea solidarity", "Turkey solidarity"], adminLists.Select(l => l!["name"]!.GetValue<string>()));
        Assert.Equal(expected, adminLists[0]!["confirmed"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal([.. Enumerable.Repeat(0, 29), 1], adminLists[1]!["confirmed"]!.AsArray().Select(n => n!.GetValue<int>())); // Ayşe, today
        Assert.Equal(30, admin["daily"]!["days"]!.AsArray().Count);

        // Today: 2 statements to Korea, 1 to Turkey and the confirmation request to "never". The organiser of Korea sees Korea's.
        Assert.Equal(4, admin["daily"]!["sent"]!.AsArray()[^1]!.GetValue<int>());
        Assert.Equal(2, organiser["daily"]!["sent"]!.AsArray()[^1]!.GetValue<int>());
        Assert.Equal(["Korea solidarity"], organiser["confirmed"]!["lists"]!.AsArray().Select(l => l!["name"]!.GetValue<string>()));
        Assert.Equal(4, admin["totalSent"]!.GetValue<int>());
        Assert.Equal(2, organiser["totalSent"]!.GetValue<int>());
    }

    private static async Task<JsonNode> ChartsAsync(DispatcherApp app, Caller caller)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var db = services.GetRequiredService<DispatcherDb>();
        var charts = new DashboardCharts(db, services.GetRequiredService<DispatchAccess>(), TimeProvider.System, caller);
        var lists = await db.VisibleLists(caller).ToListAsync();
        var confirmed = lists.Select(l => (l, db.Subscriptions.Count(s => s.ListId == l.Id && s.Status == SubscriptionStatus.Confirmed))).ToList();
        var (sent, _, _) = await charts.TotalsAsync(DateTime.UtcNow.AddDays(-30), CancellationToken.None);
        return JsonNode.Parse(JsonSerializer.Serialize(new
        {
            daily = await charts.DailyAsync(30, CancellationToken.None),
            confirmed = await charts.ConfirmedPerListAsync(confirmed, 30, CancellationToken.None),
            totalSent = sent,
        }))!;
    }
}

using System.Net;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Alerts;

/// <summary>An alert that waits for a second person tells everyone who may approve it, by email, with the link.</summary>
public sealed class ApprovalRequestTests
{
    [Theory]
    [BothStacks]
    public async Task The_other_organisers_of_its_lists_and_the_admins_are_emailed_and_nobody_else(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.PostOkAsync("/api/lists", new { name = "Turkey solidarity", slug = "turkey", requireApproval = true, doubleOptIn = false }, HttpStatusCode.Created);
        await app.Api.PostOkAsync("/api/lists/turkey/subscribers", new { email = "ayse@example.org", confirmed = true }, HttpStatusCode.Created);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Dispatcher.Data.DispatcherDb>();
            foreach (var (email, role, lists, disabled) in new[]
            {
                ("second@example.org", Dispatcher.Access.Role.Organiser, new List<string> { "turkey" }, false),
                ("other-admin@example.org", Dispatcher.Access.Role.Admin, new List<string>(), false),
                ("korea-only@example.org", Dispatcher.Access.Role.Organiser, new List<string> { "korea" }, false),
                ("publisher@example.org", Dispatcher.Access.Role.Publisher, new List<string> { "turkey" }, false),
                ("left@example.org", Dispatcher.Access.Role.Organiser, new List<string> { "turkey" }, true),
            })
                db.Users.Add(new Dispatcher.Access.User
                {
                    Email = email, Role = role, Lists = lists, PasswordHash = "x", SecurityStamp = "s", CreatedAt = DateTime.UtcNow,
                    DisabledAt = disabled ? DateTime.UtcNow : null,
                });
            await db.SaveChangesAsync();
        }

        var alert = await app.Api.PostOkAsync("/api/alerts", new { subject = "Ankara: vigil tonight", bodyMarkdown = "At 19:00.", lists = new[] { "turkey" } },
            HttpStatusCode.Created);
        var id = alert["id"]!.GetValue<long>();
        var sent = await app.Api.PostOkAsync($"/api/alerts/{id}/send", new { }, HttpStatusCode.Accepted);
        Assert.Equal("pendingApproval", sent["status"]!.GetValue<string>());

        await Eventually.UntilAsync(() => Task.FromResult(smtp.To("second@example.org").Count + smtp.To("other-admin@example.org").Count),
            n => n == 2, TimeSpan.FromSeconds(30), "the approval requests");
        var told = smtp.Received.SelectMany(m => m.EnvelopeTo).ToList();
        Assert.Equal(told.Count, told.Distinct().Count()); // each once
        foreach (var nobody in new[] { "korea-only@example.org", "publisher@example.org", "left@example.org" }) Assert.DoesNotContain(nobody, told);
        var request = smtp.To("second@example.org").Single().Message;
        Assert.Equal("Waiting for your approval: Ankara: vigil tonight", request.Subject);
        Assert.Contains($"/admin/alerts/{id}", request.TextBody);
        Assert.Contains("To 1 people on Turkey solidarity", request.TextBody);
        Assert.Empty(smtp.To("ayse@example.org")); // nothing goes to the readers before it is approved
    }
}

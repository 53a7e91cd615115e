using Dispatcher.Data;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Mail;
using Dispatcher.Mail.Templates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Hosting;

/// <summary>Scaled out: a Web process takes the API calls, Worker processes plan and send, all on one RabbitMQ
/// broker and one PostgreSQL database (what docker-compose.yml runs).</summary>
public sealed class RoleTests
{
    [Fact]
    public async Task A_statement_posted_to_a_web_process_is_sent_by_a_worker_process()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var worker = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?> { ["Dispatcher:Role"] = "Worker" });
        await using var web = await worker.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:Role"] = "Web" });
        await web.Api.CreateListAsync("statements");
        await web.Api.SubscribeAsync("statements", "ana@example.org");
        await web.Api.SubscribeAsync("statements", "ben@example.org");

        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId!.Value);

        Assert.Equal(2, dispatch.Int("sent"));
        Assert.Equal(["ana@example.org", "ben@example.org"], smtp.Received.Select(m => m.To).Order());
        using var anonymous = worker.ClientWithKey(null);
        Assert.True((await anonymous.GetAsync("/health")).IsSuccessStatusCode); // a Worker answers /health too

        // The work queues are durable quorum queues: they survive a broker restart.
        var queues = await TestServices.RabbitMqCtlAsync("list_queues", "-q", "-p", worker.Settings["RabbitMq:VirtualHost"]!, "name", "type", "durable");
        foreach (var queue in new[] { "plan-statements", "send-bulk", "send-urgent" })
            Assert.Matches($@"(?m)^{queue}\s+quorum\s+true\s*$", queues);
    }

    [Fact]
    public async Task The_web_process_renders_a_statement_once_and_the_worker_sends_that_rendering_without_compiling()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Web",
            ["Templates:AllowCodeEditing"] = "true", // templates kept in the database are used only then
        });
        await web.Api.CreateListAsync("statements");
        await web.Api.SubscribeAsync("statements", "ana@example.org");
        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });

        // The template is edited after the statement was published and before any worker sends it.
        await EditStatementTemplateAsync(web, "Edited after publishing: @Model.Title");
        await using var worker = await web.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:Role"] = "Worker" });
        await web.Api.WaitForDispatchAsync(dispatchId!.Value);

        var mail = smtp.To("ana@example.org").Single();
        Assert.Contains("Stop the repression of South Korean trade unionists", mail.Message.HtmlBody);
        Assert.DoesNotContain("Edited after publishing", mail.Message.HtmlBody); // the rendering of when it was published
        Assert.Equal(0, worker.Services.GetRequiredService<EmailRenderer>().Renders); // the worker compiled nothing
    }

    [Fact]
    public async Task A_statement_the_web_process_could_not_render_is_rendered_by_the_worker()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Web",
            ["Templates:AllowCodeEditing"] = "true", // templates kept in the database are used only then
        });
        await web.Api.CreateListAsync("statements");
        await web.Api.SubscribeAsync("statements", "ana@example.org");

        // A template that does not compile (the editor refuses one; the database can still hold one) while publishing…
        await EditStatementTemplateAsync(web, "@{ this does not compile }");
        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan’s hands", lists = new[] { "statements" } });
        // … and mended before a worker comes.
        await EditStatementTemplateAsync(web, null);
        await using var worker = await web.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:Role"] = "Worker" });
        await web.Api.WaitForDispatchAsync(dispatchId!.Value);

        Assert.Contains("Ankara bomb attacks", smtp.To("ana@example.org").Single().Message.HtmlBody);
        Assert.Equal(1, worker.Services.GetRequiredService<EmailRenderer>().Renders);
    }

    /// <summary>Puts an edited Statement template in the database (null: removes it) and has the web process see it now.</summary>
    private static async Task EditStatementTemplateAsync(DispatcherApp web, string? source)
    {
        await using var scope = web.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        await db.EmailTemplates.Where(t => t.Name == "Statement").ExecuteDeleteAsync();
        if (source is not null)
        {
            db.EmailTemplates.Add(new EmailTemplate { Name = "Statement", Source = source, UpdatedBy = "test", UpdatedAt = DateTime.UtcNow });
            await db.SaveChangesAsync();
        }
        await web.Services.GetRequiredService<TemplateSource>().RefreshAsync(CancellationToken.None, now: true);
    }

    [Fact]
    public async Task A_statement_accepted_while_no_worker_runs_goes_out_when_one_starts()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var web = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, new Dictionary<string, string?>
        {
            ["Dispatcher:Role"] = "Web",
            ["Dispatching:PlanGrace"] = "00:00:01",
        });
        await web.Api.CreateListAsync("statements");
        await web.Api.SubscribeAsync("statements", "ana@example.org");

        // Nobody consumes yet: the event goes nowhere, but the queued dispatch row is in the database.
        var (_, dispatchId) = await web.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan’s hands", lists = new[] { "statements" } });
        Assert.Equal("queued", (await web.Api.GetJsonAsync($"/api/dispatches/{dispatchId}"))["status"]!.GetValue<string>());

        await using var worker = await web.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:Role"] = "Worker" });
        var dispatch = await web.Api.WaitForDispatchAsync(dispatchId!.Value);

        Assert.Equal(1, dispatch.Int("sent"));
        Assert.Single(smtp.To("ana@example.org"));
    }
}

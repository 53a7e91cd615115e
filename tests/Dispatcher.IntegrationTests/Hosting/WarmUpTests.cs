using System.Net;
using System.Text.RegularExpressions;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.TestSupport;

namespace Dispatcher.IntegrationTests.Hosting;

/// <summary>The first send after a process starts is as quick as the next: what it needs is done at start, before
/// /health says ready. Measured in a process of its own, as EF Core's compiled queries are kept per process and every
/// other test in this one has run some: EF logs each LINQ query it compiles (5–100 ms each on two cores), and a warm
/// send — and the progress page an organiser watches it on — compiles none.</summary>
public sealed class WarmUpTests
{
    private const string Compiling = "Compiling query expression";

    [Fact]
    public async Task A_fresh_process_sends_its_first_alert_and_statement_without_compiling_a_database_query()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("dispatcher-warm-").FullName;
        var log = Path.Combine(folder, "app.log");
        await using var app = await AppProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Dispatcher"] = $"Data Source={Path.Combine(folder, "dispatcher.db")}",
            ["Dispatcher:Bootstrap:ApiKey"] = DispatcherApp.AdminKey,
            ["Dispatcher:PublicBaseUrl"] = DispatcherApp.PublicBaseUrl,
            ["Mail:FromAddress"] = "news@example.org",
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = smtp.Port.ToString(),
            ["Smtp:Security"] = "None",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Dispatcher"] = "Information",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Query"] = "Debug",
        }, logFile: log);
        using var api = app.Client(DispatcherApp.AdminKey);
        // What comes before a send — people on the lists, the alert's draft — is not what is measured.
        await api.CreateListWithReadersAsync("alerts", 3);
        await api.CreateListWithReadersAsync("statements", 3);
        var alert = await api.PostOkAsync("/api/alerts", new { subject = "Protest tonight", bodyMarkdown = "At **18:00**.", lists = new[] { "alerts" } },
            HttpStatusCode.Created);

        var beforeAlert = await LogLengthAsync(log);
        var sent = await api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted);
        // Watched as an organiser does, on its progress page's API.
        await api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>());
        var alertCompiled = await CompiledSinceAsync(log, beforeAlert);

        var beforeStatement = await LogLengthAsync(log);
        var (_, dispatchId) = await api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await api.WaitForDispatchAsync(dispatchId!.Value);
        var statementCompiled = await CompiledSinceAsync(log, beforeStatement);

        Assert.Equal(6, smtp.Received.Count);
        var failed = Regex.Matches(await ReadAsync(log), @"Warm-up: .* failed .*\n.*").Select(m => m.Value).ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
        Assert.True(alertCompiled.Count == 0, $"The first alert compiled {alertCompiled.Count} queries:\n{string.Join("\n\n", alertCompiled)}");
        Assert.True(statementCompiled.Count == 0, $"The first statement compiled {statementCompiled.Count} queries:\n{string.Join("\n\n", statementCompiled)}");
    }

    private static async Task<int> LogLengthAsync(string log) => (await ReadAsync(log)).Length;

    /// <summary>The queries EF compiled after <paramref name="from"/>, each with the lines of its expression.</summary>
    private static async Task<List<string>> CompiledSinceAsync(string log, int from) =>
        Regex.Split((await ReadAsync(log))[from..], @"\n(?=\w{4}: )")
            .Where(entry => entry.Contains(Compiling))
            .ToList();

    private static async Task<string> ReadAsync(string log)
    {
        await using var file = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(file);
        return await reader.ReadToEndAsync();
    }
}

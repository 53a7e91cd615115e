using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Mail;

/// <summary>A process that starts begins with the connections its relay took before, not at the first guess.</summary>
public sealed class RelayLimitMemoryTests
{
    [Fact]
    public async Task What_a_relay_took_is_kept_at_shutdown_and_where_the_next_process_starts()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        var settings = new Dictionary<string, string?> { ["Smtp:MaxConnections"] = "64" };
        var first = await DispatcherApp.StartAsync(Stack.RabbitMqPostgres, smtp, settings);
        var learnt = first.Services.GetRequiredService<RelaySet>().All.Single().Limit;
        var guess = learnt.Value;
        learnt.Refused(TimeSpan.Zero, working: 6); // the relay said "too many connections" with six open
        await first.DisposeAsync();                // kept at shutdown

        await using var next = await first.StartSiblingAsync(settings);
        var limit = next.Services.GetRequiredService<RelaySet>().All.Single().Limit;
        await Eventually.UntilAsync(async () => (await next.Api.GetAnswerAsync("/health")).StatusCode, s => s == System.Net.HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the next process to be ready");

        Assert.NotEqual(6, guess);
        Assert.Equal(6, limit.Value);
    }
}

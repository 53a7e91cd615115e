using Dispatcher.IntegrationTests.Infrastructure;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>A deployment talks to what it was configured to talk to — database, broker, relays, feeds — and nothing
/// else: no library reports on it to its vendor.</summary>
public sealed class OutboundTrafficTests
{
    [Theory]
    [BothStacks]
    public async Task MassTransit_reports_nothing_to_its_vendor(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null);

        // On by default in MassTransit 8.5: the bus's host, versions and time zone to usage-tracking.masstransit.io.
        Assert.False(app.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }
}

using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Mail;
using Dispatcher.Mail.Smtp;
using Dispatcher.Metrics;
using Dispatcher.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>Relays as the field has them: a real Postfix with STARTTLS, PIPELINING and CHUNKING; a relay that is slow to
/// answer; a relay across the network that limits connections per client (docs/adr/0009, 0010).</summary>
public sealed class FieldRelayTests
{
    [Fact]
    public async Task Postfix_over_STARTTLS_with_CHUNKING_gets_each_message_once_in_one_round_trip_and_a_refused_recipient_fails_alone()
    {
        await using var postfix = await PrivatePostfix.StartAsync(
            refusedRecipients: new Dictionary<string, string> { ["gone@example.org"] = "550 5.1.1 User unknown" },
            settings: new Dictionary<string, string> { ["smtpd_tls_loglevel"] = "1" });
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = postfix.Port.ToString(),
            ["Smtp:Security"] = "StartTls",
            ["Smtp:CertificateSha256"] = postfix.CertificateSha256,
        });
        // The relay under test offers what the field's do, after STARTTLS.
        var relay = app.Services.GetRequiredService<RelaySet>().All.Single();
        await using (var session = await SmtpSession.OpenAsync(relay, "example.org", TimeSpan.FromSeconds(10), pipeline: true, CancellationToken.None))
        {
            Assert.True(session.IsSecure);
            Assert.Equal(SmtpExtensions.Pipelining | SmtpExtensions.Chunking, session.Extensions & (SmtpExtensions.Pipelining | SmtpExtensions.Chunking));
        }
        var readers = await app.Api.CreateListWithReadersAsync("statements", 300);
        await app.Api.SubscribeAsync("statements", "gone@example.org");
        var roundTripsBefore = RoundTrips(app, relay);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(90));

        Assert.Equal(300, dispatch.Int("sent"));
        Assert.Equal(1, dispatch.Int("bounced"));
        var delivered = await Eventually.UntilAsync(() => Task.FromResult(postfix.Deliveries()), d => d.Count >= 300, TimeSpan.FromSeconds(30),
            "Postfix to log the 300 messages");
        Assert.Equal(readers.Order(), delivered.Order()); // each once; gone@ never
        Assert.Contains("TLS connection established", postfix.Log());
        // One round trip a message: MAIL FROM, RCPT TO and BDAT with the bytes together; the refused one too.
        var roundTrips = RoundTrips(app, relay) - roundTripsBefore;
        Assert.InRange(roundTrips, 301, 301);
    }

    [Fact]
    public async Task Against_a_relay_slow_to_answer_every_connection_allowed_is_kept_busy()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.Delay = TimeSpan.FromMilliseconds(100);
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            ["Smtp:MaxConnections"] = "24", // 2 of them the alert lane's: 22 for the statement
        });
        await app.Api.CreateListWithReadersAsync("statements", 1_500);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" } });
        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(120));

        Assert.Equal(1_500, dispatch.Int("sent"));
        Assert.Equal(1_500, smtp.Received.Select(m => m.To).Distinct().Count());
        // From 16 at first, the limit grew while more connections brought more answers — to the cap, and never past it.
        Assert.Equal(22, smtp.MostInFlight);
    }

    [Fact]
    public async Task A_relay_that_refuses_connections_as_too_many_gets_fewer_and_more_again_once_it_takes_them()
    {
        await using var postfix = await PrivatePostfix.StartAsync(settings: new Dictionary<string, string>
        {
            ["smtpd_client_connection_count_limit"] = "6",
            ["smtpd_client_event_limit_exceptions"] = "", // loopback is exempt otherwise
        });
        await using var network = LatencyProxy.Start(postfix.Port, TimeSpan.FromMilliseconds(20));
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = network.Port.ToString(),
            ["Smtp:Security"] = "None",
            ["Smtp:MaxConnections"] = "16",
        });
        var relay = app.Services.GetRequiredService<RelaySet>().All.Single();
        var readers = await app.Api.CreateListWithReadersAsync("statements", 6_000);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });

        // Postfix says "421 4.7.0 too many connections" past six: the limit comes down to what it takes.
        await Eventually.UntilAsync(() => Task.FromResult(relay.Limit.Value), limit => limit <= 4, TimeSpan.FromSeconds(30),
            "the limit to come down to the four bulk connections Postfix takes besides the alert lane's two");
        Assert.Contains("Connection concurrency limit exceeded", postfix.Log());

        // The operator raises the limit; after a rest, the connections grow again.
        await postfix.SetAsync("smtpd_client_connection_count_limit", "100");
        await Eventually.UntilAsync(() => Task.FromResult(relay.Limit.Value), limit => limit >= 8, TimeSpan.FromSeconds(60),
            "the limit to grow again once the relay takes more connections");

        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(180));
        Assert.Equal(6_000, dispatch.Int("sent"));
        var delivered = await Eventually.UntilAsync(() => Task.FromResult(postfix.Deliveries()), d => d.Count >= 6_000, TimeSpan.FromSeconds(60),
            "Postfix to log the 6,000 messages");
        Assert.Equal(readers.Order(), delivered.Order()); // each once, though many connections were refused
    }

    private static double RoundTrips(DispatcherApp app, Relay relay) =>
        app.Services.GetRequiredService<DispatcherMetrics>().SmtpRoundTrips.WithLabels(relay.ToString()).Value;
}

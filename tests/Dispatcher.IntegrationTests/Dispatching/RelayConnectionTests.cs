using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Dispatching;

/// <summary>The connection to the relay itself: TLS (STARTTLS and TLS from the first byte) with pipelining
/// (Mail/Smtp/SmtpSession), a relay's own certificate trusted by its fingerprint, and a
/// relay that stops answering in the middle of a message.</summary>
public sealed class RelayConnectionTests
{
    [Theory]
    [InlineData("StartTls")]
    [InlineData("SslOnConnect")]
    public async Task A_relay_with_its_own_certificate_pinned_gets_every_message_once_over_TLS(string security)
    {
        using var certificate = SelfSigned();
        await using var smtp = await TestSmtpServer.StartAsync(certificate, tlsOnConnect: security == "SslOnConnect");
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            ["Smtp:Security"] = security,
            ["Smtp:CertificateSha256"] = string.Join(':', certificate.GetCertHashString(HashAlgorithmName.SHA256).Chunk(2).Select(c => new string(c))).ToLowerInvariant(),
        });
        var readers = await app.Api.CreateListWithReadersAsync("statements", 300);
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });

        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(300, dispatch.Int("sent"));
        Assert.Equal(readers.Order(), smtp.Received.Select(m => m.To).Order()); // each once
        Assert.All(smtp.Received, m => Assert.True(m.OverTls, $"{m.To} came in the clear"));
        Assert.All(smtp.Received, m => Assert.Equal("Ankara bomb attacks: Blood on Erdoğan's hands", m.Subject));
    }

    [Fact]
    public async Task A_relay_that_requires_a_login_gets_it_over_STARTTLS_and_a_wrong_password_is_shown_as_the_reason()
    {
        using var certificate = SelfSigned();
        await using var smtp = await TestSmtpServer.StartAsync(certificate, login: ("dispatcher", "correct horse battery staple"));
        var settings = new Dictionary<string, string?>
        {
            ["Smtp:Security"] = "StartTls",
            ["Smtp:CertificateSha256"] = certificate.GetCertHashString(HashAlgorithmName.SHA256),
            ["Smtp:Username"] = "dispatcher",
            ["Smtp:Password"] = "correct horse battery staple",
        };
        await using (var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, settings))
        {
            var readers = await app.Api.CreateListWithReadersAsync("statements", 50);
            var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Ankara bomb attacks: Blood on Erdoğan's hands", lists = new[] { "statements" } });
            Assert.Equal(50, (await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(60))).Int("sent"));
            Assert.Equal(readers.Order(), smtp.Received.Select(m => m.To).Order());
        }

        settings["Smtp:Password"] = "wrong";
        await using (var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, settings))
        {
            await app.Api.CreateListWithReadersAsync("statements", 3);
            var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
            var pending = await Eventually.UntilAsync(
                async () => (await app.Api.GetJsonAsync($"/api/dispatches/{dispatchId}/deliveries?status=pending"))["items"]!.AsArray(),
                rows => rows.Count == 3 && rows.All(r => r!["response"] is not null), TimeSpan.FromSeconds(30), "the deliveries to wait with a reason");
            Assert.All(pending, r => Assert.Contains("Smtp:Username", r!["response"]!.GetValue<string>()));
            Assert.Equal(50, smtp.Received.Count); // nothing more
        }
    }

    [Fact]
    public async Task A_relay_whose_certificate_is_neither_vouched_for_nor_pinned_gets_nothing_and_the_reason_is_shown()
    {
        using var certificate = SelfSigned();
        using var another = SelfSigned();
        await using var smtp = await TestSmtpServer.StartAsync(certificate);
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            ["Smtp:Security"] = "StartTls",
            ["Smtp:CertificateSha256"] = another.GetCertHashString(HashAlgorithmName.SHA256),
        });
        await app.Api.CreateListWithReadersAsync("statements", 3);
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });

        var pending = await Eventually.UntilAsync(
            async () => (await app.Api.GetJsonAsync($"/api/dispatches/{dispatchId}/deliveries?status=pending"))["items"]!.AsArray(),
            rows => rows.Count == 3 && rows.All(r => r!["response"] is not null), TimeSpan.FromSeconds(30), "the three deliveries to wait for the relay, with a reason");
        Assert.All(pending, r => Assert.Contains("certificate", r!["response"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase));
        Assert.Empty(smtp.Received);
        Assert.Empty(smtp.Attempts); // never got as far as a message
    }

    [Fact]
    public async Task A_relay_that_stops_answering_mid_message_is_given_up_on_after_the_timeout_and_the_message_goes_out_on_the_retry()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        smtp.StallMessages = 1;
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?>
        {
            ["Smtp:TimeoutSeconds"] = "1",
            ["Dispatching:RetryBaseDelay"] = "00:00:01",
        });
        var readers = await app.Api.CreateListWithReadersAsync("statements", 20);
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Syria, Iraq and the movement of refugees", lists = new[] { "statements" } });

        var dispatch = await app.Api.WaitForDispatchAsync(dispatchId!.Value, timeout: TimeSpan.FromSeconds(60));
        Assert.Equal(20, dispatch.Int("sent"));
        Assert.Equal(readers.Order(), smtp.Received.Select(m => m.To).Order()); // the stalled one too, once
        var stalled = Assert.Single(smtp.Attempts, a => a.Answer == "stalled");
        var retried = Assert.Single(smtp.Attempts, a => a.To == stalled.To && a.Answer == "250");
        // Not before the timeout ran out (1 s) and the retry delay (1 s, ±20 %); the upper bound only catches a hang.
        Assert.InRange((retried.At - stalled.At).TotalSeconds, 1.7, 30);
    }

    /// <summary>A certificate no authority vouches for, for a name the app does not connect to (it uses 127.0.0.1).</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=relay.example.org", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null); // with its key usable by SslStream
    }
}

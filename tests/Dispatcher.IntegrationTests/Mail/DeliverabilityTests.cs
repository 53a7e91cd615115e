using System.Net;
using System.Text.RegularExpressions;
using Dispatcher.IntegrationTests.Infrastructure;
using MimeKit;
using MimeKit.Cryptography;
using Xunit.Abstractions;

namespace Dispatcher.IntegrationTests.Mail;

/// <summary>What receiving servers judge: DKIM (with a key made by the dkim-keygen command and the record dkim-record
/// prints), well-formed multipart mail in every script, headers nobody can inject into, and SpamAssassin's score.</summary>
public sealed class DeliverabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dispatcher-dkim-").FullName;
    private string _keyPath = "";
    private string _record = "";
    private TestSmtpServer _smtp = null!;
    private DispatcherApp _app = null!;

    private static Task<(int ExitCode, string Output, string Error)> RunDispatcherAsync(params string[] arguments) =>
        Command.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Dispatcher.dll"), .. arguments], Path.GetTempPath());

    public async Task InitializeAsync()
    {
        _keyPath = Path.Combine(_folder, "dkim", "news2026.pem");
        var keygen = await RunDispatcherAsync("dkim-keygen", _keyPath, "--Dkim:Domain=example.org", "--Dkim:Selector=news2026");
        Assert.True(keygen.ExitCode == 0, keygen.Error);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_keyPath)); // the private key: its owner's alone
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(_keyPath)!));
        }
        var record = await RunDispatcherAsync("dkim-record", "--Dkim:Domain=example.org", "--Dkim:Selector=news2026", $"--Dkim:PrivateKeyPath={_keyPath}");
        Assert.True(record.ExitCode == 0, record.Error);
        Assert.Contains("name:  news2026._domainkey.example.org", record.Output);
        _record = Regex.Match(record.Output, "value: (v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+)").Groups[1].Value;

        _smtp = await TestSmtpServer.StartAsync();
        _app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, _smtp, new Dictionary<string, string?>
        {
            ["Dkim:Domain"] = "example.org",
            ["Dkim:Selector"] = "news2026",
            ["Dkim:PrivateKeyPath"] = _keyPath,
        });
        await _app.Api.CreateListAsync("statements", "Statements – Türkiye, 한국, العربية");
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _smtp.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<ReceivedMail> PublishToAsync(string email, string? name, object statement)
    {
        await _app.Api.SubscribeAsync("statements", email, name);
        var (_, dispatchId) = await _app.Api.PublishAsync(statement);
        await _app.Api.WaitForDispatchAsync(dispatchId!.Value);
        return _smtp.To(email).Last();
    }

    [Fact]
    public async Task Mail_is_dkim_signed_and_still_verifies_after_a_real_smtp_server_received_it()
    {
        var mail = await PublishToAsync("ana@example.org", "박지성",
            new { title = "Ankara bomb attacks: Blood on Erdoğan’s hands — 한국 노동조합원 — أوقفوا القمع", url = "https://example.org/s/1", lists = new[] { "statements" } });

        var received = MimeMessage.Load(new MemoryStream(mail.Raw));
        var signature = received.Headers[received.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.Matches("d=example.org;", signature.Value.Replace(" ", ""));
        Assert.Matches("s=news2026;", signature.Value.Replace(" ", ""));
        var verifier = new DkimVerifier(new PublishedRecord("news2026._domainkey.example.org", _record));
        Assert.True(await verifier.VerifyAsync(received, signature), "the DKIM signature of the received message does not verify");

        // UTF-8 in the subject and names arrives intact through RFC 2047; the bytes on the wire are ASCII.
        Assert.Equal("Ankara bomb attacks: Blood on Erdoğan’s hands — 한국 노동조합원 — أوقفوا القمع", received.Subject);
        Assert.Equal("박지성", received.To.Mailboxes.Single().Name);
        Assert.All(mail.Raw, b => Assert.True(b < 128));
        Assert.Contains("Türkiye, 한국, العربية", received.Headers[HeaderId.ListId]);

        var alternative = Assert.IsType<MultipartAlternative>(received.Body);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType));
        Assert.Contains("style=\"", received.HtmlBody); // CSS inlined
        Assert.Matches(@"(?m)^Read the full statement.*\(?https://example\.org/s/1\)?", received.TextBody);
        Assert.Equal("bulk", received.Headers[HeaderId.Precedence]);
        Assert.Matches(@"^d[0-9]+\.s[0-9]+\.[0-9a-f]{12}@example\.org$", received.MessageId);
    }

    [Fact]
    public async Task Line_breaks_in_a_title_or_name_never_add_a_header_or_a_recipient()
    {
        var mail = await PublishToAsync("ben@example.org", "Ben\r\nBcc: victim@example.net",
            new { title = "Solidarity\r\nBcc: victim@example.net\r\nX-Injected: yes", url = "https://example.org/s/2", lists = new[] { "statements" } });

        Assert.Equal(["ben@example.org"], mail.EnvelopeTo);
        Assert.Empty(_smtp.To("victim@example.net"));
        Assert.Null(mail.Message.Headers[HeaderId.Bcc]);
        Assert.Null(mail.Message.Headers["X-Injected"]);
        Assert.Equal("Solidarity Bcc: victim@example.net X-Injected: yes", mail.Message.Subject);
        Assert.Equal("ben@example.org", mail.Message.To.Mailboxes.Single().Address);
    }

    [Fact]
    public async Task A_missing_or_bad_dkim_key_stops_the_start_with_a_clear_message()
    {
        var database = $"--ConnectionStrings:Dispatcher=Data Source={Path.Combine(_folder, "start.db")}";
        var missing = await RunDispatcherAsync("--Dkim:Domain=example.org", "--Dkim:Selector=news2026", $"--Dkim:PrivateKeyPath={Path.Combine(_folder, "nothing.pem")}", database);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("Dispatcher cannot start:", missing.Error);
        Assert.Contains("there is no file at", missing.Error);
        Assert.DoesNotContain("   at ", missing.Error); // no stack trace

        var bad = Path.Combine(_folder, "bad.pem");
        await File.WriteAllTextAsync(bad, "not a key");
        var garbage = await RunDispatcherAsync("--Dkim:Domain=example.org", "--Dkim:Selector=news2026", $"--Dkim:PrivateKeyPath={bad}", database);
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("is not a readable, unencrypted RSA private key", garbage.Error);
        Assert.False(File.Exists(Path.Combine(_folder, "start.db")), "a bad setting must stop the start before the database is touched");

        var overwrite = await RunDispatcherAsync("dkim-keygen", _keyPath);
        Assert.Equal(2, overwrite.ExitCode);
        Assert.Contains("never overwrites a key", overwrite.Error);
    }

    /// <summary>SpamAssassin with its local rules only (no network): a statement, a digest and an alert each score under 1.0.</summary>
    [Fact]
    public async Task A_statement_a_digest_and_an_alert_score_under_one_with_spamassassin()
    {
        await _app.Api.SubscribeAsync("statements", "daily@example.org", "Daily Reader", cadence: "daily");
        var statement = await PublishToAsync("sam@example.org", "Sam Reader", new
        {
            title = "Stop the repression of South Korean trade unionists",
            author = "International Socialist Tendency",
            summary = "The South Korean government has escalated its attack on the trade union movement. We call on socialists everywhere to show their solidarity.",
            url = "https://example.org/statements/korea", lists = new[] { "statements" },
        });

        var digest = await _app.Api.PostOkAsync("/api/digests/daily/run", new { }, HttpStatusCode.Accepted);
        await _app.Api.WaitForDispatchAsync(digest["dispatchId"]!.GetValue<long>());

        var alert = await _app.Api.PostOkAsync("/api/alerts", new
        {
            subject = "Protest tonight at the Turkish embassy, 18:00",
            bodyMarkdown = "Over a hundred people are dead after the bomb attack on the peace rally in Ankara. Join us outside the embassy tonight.",
            actionUrl = "https://example.org/protest", actionLabel = "Join the protest", lists = new[] { "statements" },
        }, HttpStatusCode.Created);
        var sent = await _app.Api.PostOkAsync($"/api/alerts/{alert["id"]}/send", new { }, HttpStatusCode.Accepted);
        await _app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>());

        var mails = new Dictionary<string, ReceivedMail>
        {
            ["statement"] = statement,
            ["digest"] = _smtp.To("daily@example.org").Single(m => m.Subject.StartsWith("Daily statements: 1 new")),
            ["alert"] = _smtp.To("sam@example.org").Single(m => m.Subject.StartsWith("Protest tonight")),
        };
        foreach (var (kind, mail) in mails)
        {
            var (score, report) = await SpamAssassinAsync(mail.Raw);
            output.WriteLine($"spamassassin -L: {kind} {score}\n{report}");
            Assert.True(score < 1.0, $"the {kind} email scores {score}:\n{report}");
        }
    }

    private static async Task<(double Score, string Report)> SpamAssassinAsync(byte[] raw)
    {
        var (_, text, error) = await Command.RunAsync("spamassassin", ["-L", "-t"], input: raw, limit: TimeSpan.FromSeconds(120));
        var status = Regex.Match(text, @"X-Spam-Status: (Yes|No), score=(-?[0-9.]+)");
        Assert.True(status.Success, $"spamassassin gave no score:\n{text}\n{error}");
        var report = text[(text.LastIndexOf("Content analysis details", StringComparison.Ordinal) is var i and >= 0 ? i : 0)..];
        return (double.Parse(status.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), report);
    }

    /// <summary>Answers the verifier's DNS query with the record dkim-record printed.</summary>
    private sealed class PublishedRecord(string name, string value) : DkimPublicKeyLocatorBase
    {
        public override Org.BouncyCastle.Crypto.AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            $"{selector}._domainkey.{domain}" == name ? GetPublicKey(value) : throw new InvalidOperationException($"no DNS record {selector}._domainkey.{domain}");

        public override Task<Org.BouncyCastle.Crypto.AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}

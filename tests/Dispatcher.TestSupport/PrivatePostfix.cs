using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Dispatcher.TestSupport;

/// <summary>A private Postfix smtpd on a loopback port — a relay as the field has them: STARTTLS with a self-signed
/// certificate, PIPELINING, CHUNKING, SIZE, a queue on disk — that discards what it accepts and logs each message,
/// so a test can count what arrived. Needs root and Debian's postfix package (tests/run.sh installs it).</summary>
public sealed partial class PrivatePostfix : IAsyncDisposable
{
    private readonly string _directory;
    private readonly ChildProcess _master;

    private PrivatePostfix(string directory, int port, string certificateSha256, ChildProcess master)
    {
        _directory = directory;
        Port = port;
        CertificateSha256 = certificateSha256;
        _master = master;
    }

    public int Port { get; }

    /// <summary>The fingerprint of its self-signed certificate, for Smtp:CertificateSha256.</summary>
    public string CertificateSha256 { get; }

    private string Config => Path.Combine(_directory, "conf");
    private string MailLog => Path.Combine(_directory, "maillog");

    /// <param name="settings">main.cf settings added to the usual ones. Clients in mynetworks (loopback) are exempt from
    /// the per-client limits (smtpd_client_connection_count_limit, …) unless smtpd_client_event_limit_exceptions is
    /// set empty.</param>
    /// <param name="refusedRecipients">Addresses refused at RCPT TO, with the reply (e.g. "550 5.1.1 User unknown").</param>
    public static async Task<PrivatePostfix> StartAsync(IReadOnlyDictionary<string, string>? settings = null,
        IReadOnlyDictionary<string, string>? refusedRecipients = null)
    {
        var directory = Directory.CreateTempSubdirectory("dispatcher-postfix-").FullName;
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        var config = Path.Combine(directory, "conf");
        var data = Path.Combine(directory, "data");
        Directory.CreateDirectory(config);
        Directory.CreateDirectory(data);
        Directory.CreateDirectory(Path.Combine(directory, "queue"));
        await MustAsync("chown", "postfix", data);
        var port = FreePort.Next();
        var sha256 = WriteCertificate(config);
        var main = new Dictionary<string, string>
        {
            ["compatibility_level"] = "3.6",
            ["queue_directory"] = Path.Combine(directory, "queue"),
            ["data_directory"] = data,
            ["mail_owner"] = "postfix",
            ["setgid_group"] = "postdrop",
            ["inet_interfaces"] = "127.0.0.1",
            ["inet_protocols"] = "ipv4",
            ["myhostname"] = "relay.test",
            ["mydestination"] = "",
            ["mynetworks"] = "127.0.0.0/8",
            ["smtpd_relay_restrictions"] = "permit_mynetworks, reject",
            ["default_transport"] = "discard",
            ["relay_transport"] = "discard",
            ["smtpd_tls_security_level"] = "may",
            ["smtpd_tls_cert_file"] = Path.Combine(config, "cert.pem"),
            ["smtpd_tls_key_file"] = Path.Combine(config, "key.pem"),
            ["default_process_limit"] = "300",
            ["maillog_file"] = Path.Combine(directory, "maillog"),
            ["maillog_file_prefixes"] = directory, // Postfix writes its log only under these
        };
        if (refusedRecipients is { Count: > 0 })
        {
            var refused = Path.Combine(config, "refused");
            await File.WriteAllLinesAsync(refused, refusedRecipients.Select(r => $"{r.Key} {r.Value}"));
            main["smtpd_recipient_restrictions"] = $"check_recipient_access texthash:{refused}, permit_mynetworks, reject";
        }
        foreach (var (name, value) in settings ?? new Dictionary<string, string>()) main[name] = value;
        await File.WriteAllLinesAsync(Path.Combine(config, "main.cf"), main.Select(s => $"{s.Key} = {s.Value}"));
        await File.WriteAllTextAsync(Path.Combine(config, "master.cf"), MasterCf(port));
        var master = ChildProcess.Start("postfix", ["-c", config, "start-fg"]);
        var postfix = new PrivatePostfix(directory, port, sha256, master);
        try
        {
            await postfix.WaitUntilListeningAsync();
        }
        catch
        {
            await postfix.DisposeAsync();
            throw;
        }
        return postfix;
    }

    /// <summary>How many messages it has accepted (and discarded) for this address.</summary>
    public int DeliveredTo(string address) => Deliveries().Count(a => a.Equals(address, StringComparison.OrdinalIgnoreCase));

    /// <summary>The recipient of every message it accepted so far, once per message.</summary>
    public IReadOnlyList<string> Deliveries()
    {
        if (!File.Exists(MailLog)) return [];
        using var stream = new FileStream(MailLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var recipients = new List<string>();
        while (reader.ReadLine() is { } line)
            if (Discarded().Match(line) is { Success: true } match) recipients.Add(match.Groups[1].Value);
        return recipients;
    }

    /// <summary>Its log so far.</summary>
    public string Log()
    {
        if (!File.Exists(MailLog)) return "";
        using var stream = new FileStream(MailLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Changes a main.cf setting and reloads, as an operator would.</summary>
    public async Task SetAsync(string name, string value)
    {
        await MustAsync("postconf", "-c", Config, "-e", $"{name}={value}");
        await MustAsync("postfix", "-c", Config, "reload");
    }

    private async Task WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_master.HasExited) throw new InvalidOperationException($"Postfix stopped at start: {_master.Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                using var reader = new StreamReader(client.GetStream());
                var greeting = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(5));
                if (greeting?.StartsWith("220", StringComparison.Ordinal) == true) return;
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Postfix did not answer on 127.0.0.1:{Port}: {_master.Output}");
            await Task.Delay(50);
        }
    }

    private static string WriteCertificate(string config)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=relay.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllText(Path.Combine(config, "cert.pem"), certificate.ExportCertificatePem());
        var keyFile = Path.Combine(config, "key.pem");
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    /// <summary>Only the services an smtpd relay that discards needs, none chrooted.</summary>
    private static string MasterCf(int port) => $"""
        127.0.0.1:{port} inet n - n - - smtpd
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        tlsmgr    unix  -       -       n       1000?   1       tlsmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd

        """;

    private static async Task MustAsync(string file, params string[] arguments)
    {
        var (exitCode, output, error) = await Command.RunAsync(file, arguments);
        if (exitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {error}{output}");
    }

    [GeneratedRegex(@"postfix/discard\[\d+\]: \w+: to=<([^>]*)>.*status=sent")]
    private static partial Regex Discarded();

    public async ValueTask DisposeAsync()
    {
        await Command.RunAsync("postfix", ["-c", Config, "stop"]);
        if (!await _master.WaitForExitAsync(TimeSpan.FromSeconds(10))) _master.Kill();
        await _master.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A process of it still finishing: the temporary folder goes with the machine's.
        }
    }
}

using System.Net;
using System.Text.RegularExpressions;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Subscribers;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Dispatcher.Mail;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>What lies on the disk: a data folder and files only Dispatcher's user can read, a key ring that is encrypted
/// in the database, no clear part of a chosen key, a first password shown once on the console and changed at once —
/// and settings that would weaken any of it stop the start with one line that names them.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes
public sealed class SecretsAtRestTests
{
    private const string AdminKey = "test-admin-key-0123456789abcdef";
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PrivateFolder = Private | UnixFileMode.UserExecute;

    private static string NewFolder() => Path.Combine(Directory.CreateTempSubdirectory("dispatcher-secrets-").FullName, "nested", "data");

    [Fact]
    public async Task A_new_installation_keeps_its_folder_database_and_keys_private_and_its_key_ring_encrypted()
    {
        var folder = NewFolder();
        var database = Path.Combine(folder, "dispatcher.db");
        await using var app = await AppProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Dispatcher"] = $"Data Source={database}",
            ["Dispatcher:Bootstrap:ApiKey"] = AdminKey,
        });
        using var browser = new HttpClient { BaseAddress = app.Address };
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin/login")).StatusCode); // makes the first cookie key

        Assert.Equal(PrivateFolder, File.GetUnixFileMode(folder));
        foreach (var file in new[] { "dispatcher.db", "dispatcher.db-wal", "dispatcher.db-shm", "dataprotection.key" })
            Assert.True(File.GetUnixFileMode(Path.Combine(folder, file)) == Private, $"{file} is {File.GetUnixFileMode(Path.Combine(folder, file))}");

        await using var db = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await db.OpenAsync();
        var keys = await ReadAllAsync(db, "SELECT xml FROM data_protection_keys");
        Assert.NotEmpty(keys);
        Assert.All(keys, xml => Assert.Contains("<encryptedSecret", xml));
        Assert.All(keys, xml => Assert.DoesNotContain("<masterKey", xml));
        Assert.Equal([""], await ReadAllAsync(db, "SELECT prefix FROM api_keys WHERE is_bootstrap = 1"));
    }

    [Fact]
    public async Task The_first_admin_password_is_printed_once_outside_the_log_and_must_be_changed_at_the_first_login()
    {
        var folder = NewFolder();
        // All it wrote, not the last lines AppProcess keeps: start-up says more than that while it warms up.
        var log = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(folder))!, "output.log");
        await using var app = await AppProcess.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:Dispatcher"] = $"Data Source={folder}/dispatcher.db" },
            logFile: log);
        var output = await File.ReadAllTextAsync(log);
        var password = Regex.Match(output, "The first admin's password \\(.*\\): (\\S+)").Groups[1].Value;
        Assert.NotEmpty(password);
        Assert.Single(Regex.Matches(output, Regex.Escape(password))); // not in the banner the logger writes

        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = app.Address };
        using var login = await browser.SubmitFormAsync("/admin/login",
            new Dictionary<string, string> { ["Email"] = "admin@localhost.localdomain", ["Password"] = password });
        Assert.Equal("/admin/account", login.Headers.Location?.OriginalString);
        using var elsewhere = await browser.GetAsync("/admin/lists");
        Assert.Equal("/admin/account", elsewhere.Headers.Location?.OriginalString);

        using var changed = await browser.SubmitFormAsync("/admin/account",
            new Dictionary<string, string> { ["current"] = password, ["chosen"] = "my very own password", ["repeated"] = "my very own password" },
            form: 1); // after the header's log-out form
        Assert.Equal("/admin", changed.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/admin/lists")).StatusCode);
    }

    [Fact]
    public async Task Files_left_readable_by_an_older_version_are_made_private_at_start()
    {
        var folder = NewFolder();
        Directory.CreateDirectory(folder);
        var database = Path.Combine(folder, "dispatcher.db");
        await File.WriteAllBytesAsync(database, []);
        File.SetUnixFileMode(database, Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null,
            new Dictionary<string, string?> { ["ConnectionStrings:Dispatcher"] = $"Data Source={database}" });

        Assert.Equal(Private, File.GetUnixFileMode(database));
    }

    [Fact]
    public async Task A_certificate_from_the_configuration_encrypts_the_key_ring()
    {
        var folder = Directory.CreateTempSubdirectory("dispatcher-certificate-").FullName;
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=Dispatcher key ring", rsa,
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var pfx = Path.Combine(folder, "keyring.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx, "pfx password"));
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?>
        {
            ["DataProtection:CertificatePath"] = pfx,
            ["DataProtection:CertificatePassword"] = "pfx password",
        });
        using var browser = app.ClientWithKey(null);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetPageAsync("/admin/login")).Status);

        await using var db = new SqliteConnection(app.Settings["ConnectionStrings:Dispatcher"]);
        await db.OpenAsync();
        var keys = await ReadAllAsync(db, "SELECT xml FROM data_protection_keys");
        Assert.All(keys, xml => Assert.Contains("EncryptedData", xml)); // XML encryption to the certificate
        Assert.All(keys, xml => Assert.Contains(Convert.ToBase64String(certificate.RawData), xml)); // to this certificate
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(new SqliteConnectionStringBuilder(app.Settings["ConnectionStrings:Dispatcher"]).DataSource)!, "dataprotection.key")));
    }

    [Theory]
    [InlineData("--Dispatcher:SigningKey=correct horse battery staple", "Dispatcher:SigningKey must be at least 32 random bytes, base64-encoded")]
    [InlineData("--Dispatcher:PreviousSigningKeys:0=c2hvcnQ=", "Dispatcher:PreviousSigningKeys:0 must be at least 32 random bytes")]
    [InlineData("--Dispatcher:TrustedProxies:0=the-proxy", "Dispatcher:TrustedProxies:0 must be an IP address or a CIDR range")]
    [InlineData("--Metrics:BearerToken=short", "Metrics:BearerToken must be at least 16 characters")]
    [InlineData("--ConnectionStrings:Dispatcher=Data Source=/proc/no-such-folder/dispatcher.db", "ConnectionStrings:Dispatcher: the folder of /proc/no-such-folder/dispatcher.db cannot be created")]
    [InlineData("--Dispatcher:Database=Postgres", "DataProtection:Key must be set with Dispatcher:Database=Postgres")]
    public async Task A_setting_that_would_weaken_the_secrets_stops_the_start_with_one_line_naming_it(string setting, string message)
    {
        var folder = NewFolder();
        string[] arguments = setting.StartsWith("--Dispatcher:Database")
            ? [setting, "--ConnectionStrings:Dispatcher=Host=127.0.0.1;Database=never-reached"]
            : [$"--ConnectionStrings:Dispatcher=Data Source={folder}/dispatcher.db", setting];
        if (setting.StartsWith("--ConnectionStrings")) arguments = [setting];

        var (exitCode, _, error) = await Command.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Dispatcher.dll"), "--urls", "http://127.0.0.1:0", .. arguments],
            Path.GetDirectoryName(Path.GetDirectoryName(folder))); // the temporary folder, which exists

        Assert.Equal(1, exitCode);
        Assert.Contains(message, error);
        Assert.Equal(2, error.Trim().Split('\n').Length); // "Dispatcher cannot start:" and the line that says why
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public async Task Links_signed_with_a_previous_key_still_work_and_others_do_not()
    {
        var before = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var after = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp, new Dictionary<string, string?> { ["Dispatcher:SigningKey"] = before });
        var link = await UnsubscribeLinkAsync(app, smtp);

        await using var rotated = await app.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:SigningKey"] = after, ["Dispatcher:PreviousSigningKeys:0"] = before });
        await using var forgetful = await app.StartSiblingAsync(new Dictionary<string, string?> { ["Dispatcher:SigningKey"] = after });

        Assert.Equal(HttpStatusCode.OK, (await rotated.ClientWithKey(null).GetPageAsync(link)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await forgetful.ClientWithKey(null).GetPageAsync(link)).Status);
    }

    [Fact]
    public async Task Rotating_the_kept_key_keeps_links_already_sent_working()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp);
        var link = await UnsubscribeLinkAsync(app, smtp);
        var oldKey = app.Services.GetRequiredService<SigningKey>().Value;

        var (exitCode, output, error) = await Command.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "Dispatcher.dll"), "rotate-signing-key",
            $"--ConnectionStrings:Dispatcher={app.Settings["ConnectionStrings:Dispatcher"]}"], AppContext.BaseDirectory);
        Assert.True(exitCode == 0, error);
        Assert.Contains("Restart every Dispatcher process", output);

        await using var restarted = await app.StartSiblingAsync(new Dictionary<string, string?>());
        Assert.NotEqual(oldKey, restarted.Services.GetRequiredService<SigningKey>().Value);
        Assert.Equal(HttpStatusCode.OK, (await restarted.ClientWithKey(null).GetPageAsync(link)).Status);
    }

    private static async Task<string> UnsubscribeLinkAsync(DispatcherApp app, TestSmtpServer smtp)
    {
        await app.Api.CreateListAsync("statements");
        await app.Api.SubscribeAsync("statements", "reader@example.org");
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Solidarity with the Seoul protesters", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        return new Uri(Statements.StatementFlowTests.UnsubscribeUrlOf(smtp.To("reader@example.org").Single())).PathAndQuery;
    }

    private static async Task<List<string>> ReadAllAsync(SqliteConnection db, string sql)
    {
        await using var command = db.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetString(0));
        return values;
    }
}

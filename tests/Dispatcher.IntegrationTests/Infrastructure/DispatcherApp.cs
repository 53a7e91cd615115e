using System.Net.Http.Headers;
using Dispatcher.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>The two ways the system runs: the embedded default, and scaled out on RabbitMQ and PostgreSQL.</summary>
public enum Stack
{
    InMemorySqlite,
    RabbitMqPostgres,
}

/// <summary>The whole application, started in the test process with real parts behind it: a SQLite file or a fresh
/// PostgreSQL database, the in-memory bus or a fresh RabbitMQ virtual host, and a real SMTP server (or the capture mailbox).</summary>
public sealed class DispatcherApp : WebApplicationFactory<Program>
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";
    public const string PublicBaseUrl = "https://dispatch.example.org";

    /// <summary>What the in-memory test server's clients call: https, as the public address says (cookies are Secure).</summary>
    public static readonly Uri TestServerAddress = new("https://localhost");

    /// <summary>DataProtection:Key of every PostgreSQL test host (Web processes of one deployment share it).</summary>
    public const string DataProtectionKey = "dGVzdC1kYXRhLXByb3RlY3Rpb24ta2V5LTAxMjM0NTY3ODkwMTI=";

    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly string? _sqliteFile;
    private readonly Action<IServiceCollection>? _services;

    private DispatcherApp(IReadOnlyDictionary<string, string?> settings, string? sqliteFile, Action<IServiceCollection>? services = null)
    {
        _settings = settings;
        _sqliteFile = sqliteFile;
        _services = services;
    }

    public HttpClient Api { get; private set; } = null!;

    public IReadOnlyDictionary<string, string?> Settings => _settings;

    public Stack Stack { get; private init; }

    /// <summary>The address of the real HTTP server when started with <c>kestrel: true</c> (for a browser).</summary>
    public Uri? ServerAddress { get; private set; }

    /// <param name="smtp">The relay; null uses the built-in capture mailbox.</param>
    /// <param name="kestrel">Serve on a real loopback port (for Chromium) instead of the in-memory test server.</param>
    /// <param name="services">Changes to the app's services, to cause a fault that cannot be caused from outside.</param>
    public static async Task<DispatcherApp> StartAsync(Stack stack, TestSmtpServer? smtp, IDictionary<string, string?>? overrides = null,
        bool kestrel = false, Action<IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Dispatcher:Bootstrap:ApiKey"] = AdminKey,
            ["Dispatcher:PublicBaseUrl"] = PublicBaseUrl,
            ["Mail:FromAddress"] = "news@example.org",
            ["Mail:FromName"] = "Socialism From Below",
            ["Mail:BounceAddress"] = "bounces@example.org",
            ["Smtp:Host"] = smtp is null ? "" : "127.0.0.1",
            ["Smtp:Port"] = smtp?.Port.ToString() ?? "25",
            ["Smtp:Security"] = "None",
            ["Dispatching:SweepInterval"] = "00:00:00.500",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Dispatcher"] = "Information",
        };

        string? sqliteFile = null;
        if (stack == Stack.InMemorySqlite)
        {
            sqliteFile = Path.Combine(Directory.CreateTempSubdirectory("dispatcher-test-").FullName, "dispatcher.db");
            settings["Dispatcher:Database"] = "Sqlite";
            settings["Dispatcher:Bus"] = "InMemory";
            settings["ConnectionStrings:Dispatcher"] = $"Data Source={sqliteFile}";
        }
        else
        {
            var (host, port) = TestServices.RabbitMq;
            settings["Dispatcher:Database"] = "Postgres";
            settings["ConnectionStrings:Dispatcher"] = await TestServices.CreatePostgresDatabaseAsync();
            settings["Dispatcher:Bus"] = "RabbitMq";
            settings["RabbitMq:Host"] = host;
            settings["RabbitMq:Port"] = port.ToString();
            settings["RabbitMq:VirtualHost"] = await TestServices.CreateRabbitMqVirtualHostAsync();
            settings["DataProtection:Key"] = DataProtectionKey;
        }
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>()) settings[key] = value;

        if (kestrel)
        {
            settings["urls"] = "http://127.0.0.1:0";
            settings["Dispatcher:PublicBaseUrl"] = null; // links in emails point at the real server
        }
        var app = new DispatcherApp(settings, sqliteFile, services) { Stack = stack };
        if (kestrel)
        {
            app.UseKestrel(0);
            app.StartServer();
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            app.ServerAddress = new Uri(addresses.First());
            app.ClientOptions.BaseAddress = app.ServerAddress;
        }
        app.Api = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = app.ServerAddress ?? TestServerAddress });
        app.Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return app;
    }

    /// <summary>Another process of the same deployment (same database and broker), e.g. a Worker next to a Web.</summary>
    public Task<DispatcherApp> StartSiblingAsync(IDictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>(_settings);
        foreach (var (key, value) in overrides) settings[key] = value;
        var sibling = new DispatcherApp(settings, sqliteFile: null) { Stack = Stack };
        sibling.Api = sibling.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = TestServerAddress });
        sibling.Api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return Task.FromResult(sibling);
    }

    /// <summary>A client with another key (or none).</summary>
    public HttpClient ClientWithKey(string? key)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = ServerAddress ?? TestServerAddress });
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // UseSetting (not ConfigureAppConfiguration) so Program.cs sees the values while it wires the app.
        foreach (var (key, value) in _settings)
            if (value is not null) builder.UseSetting(key, value); // null: not set at all, as in AppProcess
        builder.UseEnvironment("Testing");
        if (_services is not null) builder.ConfigureTestServices(_services);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        // The host's connections stay open in Npgsql's pool (for 5 minutes) when it stops; a test run of hundreds of hosts
        // would fill the server's connection slots with idle ones and a busy test would be refused "too many clients".
        if (Stack == Stack.RabbitMqPostgres && _settings.GetValueOrDefault("ConnectionStrings:Dispatcher") is { } postgres)
            NpgsqlConnection.ClearPool(new NpgsqlConnection(DataExtensions.WithAutoPrepare(postgres)));
        if (_sqliteFile is not null) Directory.Delete(Path.GetDirectoryName(_sqliteFile)!, recursive: true); // with its key file
    }
}

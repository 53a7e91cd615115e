using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Mail;
using Dispatcher.Mail.Capture;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Hosting;

public static class Startup
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Options every process needs, validated at start so a bad setting stops it with a clear message.</summary>
    public static WebApplicationBuilder AddDispatcherOptions(this WebApplicationBuilder builder)
    {
        // `dotnet run` works in the repository root (see Dispatcher.csproj), so the appsettings.json that ships in the
        // application's folder is read from there, below every other source (environment, command line).
        var shipped = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (!File.Exists(Path.Combine(builder.Environment.ContentRootPath, "appsettings.json")) && File.Exists(shipped))
        {
            var source = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource { Path = shipped, Optional = true };
            source.ResolveFileProvider();
            builder.Configuration.Sources.Insert(0, source);
        }
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(DefaultUrl);

        builder.Services.AddOptions<DispatcherOptions>().BindConfiguration(DispatcherOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.HasValidPublicBaseUrl, "Dispatcher:PublicBaseUrl must be an absolute http or https URL (or empty).")
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DispatcherOptions>>(new OptionsProblem<DispatcherOptions>(o => o.Problem));
        builder.Services.AddOptions<RabbitMqOptions>().BindConfiguration(RabbitMqOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>Whether this process serves the API and pages (roles All and Web).</summary>
    public static bool RunsWeb(this WebApplication app) =>
        app.Services.GetRequiredService<IOptions<DispatcherOptions>>().Value.RunsWeb;

    /// <summary>Static files (the pages' CSS) come from the application's folder, wherever the working directory is.</summary>
    public static WebApplication UseAppStaticFiles(this WebApplication app)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (Directory.Exists(folder))
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(folder) });
        return app;
    }

    /// <summary>Before serving: migrate the database, load the signing key, create the bootstrap API key.</summary>
    public static async Task InitialiseAsync(this WebApplication app)
    {
        var stopping = app.Lifetime.ApplicationStopping;
        // Every ValidateOnStart option, before anything touches the database: a bad setting stops here.
        app.Services.GetService<IStartupValidator>()?.Validate();
        await app.Services.MigrateDatabaseAsync(stopping);
        await using var scope = app.Services.CreateAsyncScope();
        var secrets = scope.ServiceProvider.GetRequiredService<InstallationSecrets>();
        var (signingKey, previousKeys) = await secrets.SigningKeysAsync(stopping);
        app.Services.GetRequiredService<SigningKey>().Set(signingKey, previousKeys);
        app.Services.GetRequiredService<SuppressionSalt>().Set(await secrets.SuppressionSaltAsync(stopping));
        var bootstrap = scope.ServiceProvider.GetRequiredService<BootstrapAccess>();
        await bootstrap.EnsureApiKeyAsync(stopping);
        var generatedAdmin = await bootstrap.EnsureAdminAsync(stopping);
        await CheckWhatOlderVersionsLeftAsync(app, scope.ServiceProvider, stopping);
        app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app, generatedAdmin));
    }

    /// <summary>What an older version, or a restore, may have left: a readable data folder, an unencrypted key ring,
    /// templates edited in the admin UI while that was allowed.</summary>
    private static async Task CheckWhatOlderVersionsLeftAsync(WebApplication app, IServiceProvider services, CancellationToken cancellationToken)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Dispatcher");
        if (!app.Services.GetRequiredService<IOptions<TemplateOptions>>().Value.AllowCodeEditing
            && await services.GetRequiredService<DispatcherDb>().EmailTemplates.CountAsync(cancellationToken) is > 0 and var edited)
            logger.LogWarning("{Count} templates edited in the admin UI are not used: Templates:AllowCodeEditing is off, so the files in the templates folder are", edited);
        if (services.GetRequiredService<DataFolder>().Folder is { } folder && PrivateFiles.IsOpenToOthers(folder))
            logger.LogWarning("The database's folder {Folder} can be listed by other users of this machine. The files Dispatcher writes there are " +
                              "readable by its own user only, but a folder of its own that only this user can open is better (Dispatcher creates it so when it is missing)", folder);
        if (!app.Services.GetRequiredService<IOptions<DispatcherOptions>>().Value.RunsWeb) return;
        _ = app.Services.GetService<KeyEncryptionKey>(); // made (or read) now: a broken key file stops the start, not a login
        var removed = await KeyRingProtection.RemoveUnencryptedKeysAsync(services.GetRequiredService<DispatcherDb>(), cancellationToken);
        if (removed > 0)
            logger.LogWarning("Deleted {Count} unencrypted login-cookie keys from the database; admins log in again once", removed);
    }

    /// <summary>Where things are, printed once the server listens: what a newcomer needs to try it.</summary>
    private static void PrintBanner(WebApplication app, (string Email, string Password)? generatedAdmin)
    {
        var options = app.Services.GetRequiredService<IOptions<DispatcherOptions>>().Value;
        var urls = app.Services.GetRequiredService<PublicUrls>();
        var mailbox = app.Services.GetService<CaptureMailbox>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Dispatcher");
        var lines = new List<string>
        {
            $"Dispatcher is running ({options.Role}; bus {options.Bus}; database {options.Database}).",
            $"  Listening:        {string.Join(", ", app.Urls)}",
            $"  Links in emails:  {urls.Base}",
            $"  Health:           {urls.Base}/health",
        };
        lines.Add(mailbox is null
            ? $"  Mail goes to:     {app.Services.GetRequiredService<RelaySet>()}"
            : $"  Capture mailbox:  SMTP on 127.0.0.1:{mailbox.Port}; read it at {urls.Base}/api/mailbox");
        if (options.RunsWeb) lines.Add($"  Admin UI:         {urls.Base}/admin");
        if (generatedAdmin is { } admin)
            lines.Add($"  Admin login:      {admin.Email}, with the password printed above (change it when you first log in)");
        lines.Add(string.IsNullOrWhiteSpace(options.Bootstrap.ApiKey)
            ? "  API key:          none set. Start with --Dispatcher:Bootstrap:ApiKey=<a secret of 16+ characters> (or Dispatcher__Bootstrap__ApiKey) to create an admin key."
            : "  API key:          the value of Dispatcher:Bootstrap:ApiKey (admin) — send it as 'Authorization: Bearer <key>'.");
        if (generatedAdmin is { } first)
            // The console only, never a logger: log lines travel to files and collectors that keep them.
            Console.Out.WriteLine($"The first admin's password (generated now, shown only this once, to be changed at the first login): {first.Password}");
        logger.LogInformation("{Banner}", string.Join(Environment.NewLine, lines));
    }
}

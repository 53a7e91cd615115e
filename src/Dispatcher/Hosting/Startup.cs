using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Mail;
using Dispatcher.Mail.Capture;
using Dispatcher.Subscribers;
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
        app.Services.GetRequiredService<SigningKey>().Set(await secrets.SigningKeyAsync(stopping));
        app.Services.GetRequiredService<SuppressionSalt>().Set(await secrets.SuppressionSaltAsync(stopping));
        var bootstrap = scope.ServiceProvider.GetRequiredService<BootstrapAccess>();
        await bootstrap.EnsureApiKeyAsync(stopping);
        var generatedAdmin = await bootstrap.EnsureAdminAsync(stopping);
        app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app, generatedAdmin));
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
            lines.Add($"  Admin login:      {admin.Email} / {admin.Password}   (generated now and shown only this once; change it under Users)");
        lines.Add(string.IsNullOrWhiteSpace(options.Bootstrap.ApiKey)
            ? "  API key:          none set. Start with --Dispatcher:Bootstrap:ApiKey=<a secret of 16+ characters> (or Dispatcher__Bootstrap__ApiKey) to create an admin key."
            : "  API key:          the value of Dispatcher:Bootstrap:ApiKey (admin) — send it as 'Authorization: Bearer <key>'.");
        logger.LogInformation("{Banner}", string.Join(Environment.NewLine, lines));
    }
}

using Dispatcher.Access;
using Dispatcher.Alerts;
using Dispatcher.Bounces;
using Dispatcher.Data;
using Dispatcher.Digests;
using Dispatcher.Feeds;
using Dispatcher.Webhooks;
using Dispatcher.Dispatching;
using Dispatcher.Health;
using Dispatcher.Hosting;
using Dispatcher.Lists;
using Dispatcher.Mail;
using Dispatcher.Mail.Dkim;
using Dispatcher.Metrics;
using Dispatcher.Public;
using Dispatcher.Statements;
using Dispatcher.Subscribers;
using Microsoft.Extensions.Options;

if (DkimCommand.Matches(args))
{
    // "dkim-keygen [path]" and "dkim-record": the words go to the command, the --settings to the configuration.
    var words = args.TakeWhile(a => !a.StartsWith('-')).ToArray();
    var tool = WebApplication.CreateBuilder(args[words.Length..]);
    tool.AddDispatcherOptions();
    return DkimCommand.Run(tool.Configuration, words, Console.Out, Console.Error);
}

try
{
    if (args is ["rotate-signing-key", .. var settings])
    {
        // A new key for subscriber links; links already sent keep working (the old key is still accepted).
        var tool = Build(settings);
        await tool.Services.MigrateDatabaseAsync(CancellationToken.None);
        await using var scope = tool.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<InstallationSecrets>().RotateSigningKeyAsync(CancellationToken.None);
        Console.Out.WriteLine("A new signing key is in the database; the one before it is still accepted. Restart every Dispatcher process.");
        if (!string.IsNullOrWhiteSpace(tool.Configuration["Dispatcher:SigningKey"]))
            Console.Out.WriteLine("Dispatcher:SigningKey is set, and takes the place of the key in the database: rotate that one in your configuration.");
        return 0;
    }

    var app = Build(args);
    await app.InitialiseAsync();
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is OptionsValidationException or StartupProblem)
{
    // A bad setting: say which, without a stack trace, and stop.
    var problems = e is OptionsValidationException invalid ? invalid.Failures : [e.Message];
    Console.Error.WriteLine($"Dispatcher cannot start:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", problems)}");
    return 1;
}

static WebApplication Build(string[] args)
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddDispatcherOptions();

    builder.AddWebSecurity()
        .AddDispatcherMetrics()
        .AddTracing()
        .AddDispatcherData()
        .AddAccess()
        .AddMail()          // before the bus: the capture mailbox must listen before anything sends
        .AddDispatching()
        .AddStatements()
        .AddAlerts()
        .AddDigests()
        .AddFeeds()
        .AddWebhooks()
        .AddLists()
        .AddSubscribers()
        .AddBounces()
        .AddPublicPages()
        .AddHealth()
        .AddApi();

    var app = builder.Build();

    app.UseWebSecurity();
    app.UseExceptionHandler();
    app.UseStatusPages();
    app.UseAppStaticFiles();
    app.UseAuthentication();
    app.UseAuthorization();
    app.UseRateLimiter();
    if (app.RunsWeb())
    {
        app.MapApi();
        app.MapRazorPages();
    }
    app.MapHealth();            // every role, Worker included
    app.MapDispatcherMetrics(); // GET /metrics, every role
    return app;
}

/// <summary>The host; public for WebApplicationFactory in the tests.</summary>
public partial class Program;

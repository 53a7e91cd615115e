using Dispatcher.Access;
using Dispatcher.Alerts;
using Dispatcher.Bounces;
using Dispatcher.Data;
using Dispatcher.Digests;
using Dispatcher.Feeds;
using Dispatcher.Dispatching;
using Dispatcher.Health;
using Dispatcher.Hosting;
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

var builder = WebApplication.CreateBuilder(args);
builder.AddDispatcherOptions();

builder.AddDispatcherMetrics()
    .AddDispatcherData()
    .AddAccess()
    .AddMail()          // before the bus: the capture mailbox must listen before anything sends
    .AddDispatching()
    .AddStatements()
    .AddAlerts()
    .AddDigests()
    .AddFeeds()
    .AddSubscribers()
    .AddBounces()
    .AddPublicPages()
    .AddHealth()
    .AddApi();

var app = builder.Build();

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

try
{
    await app.InitialiseAsync();
    await app.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    // A bad setting: say which, without a stack trace, and stop.
    Console.Error.WriteLine($"Dispatcher cannot start:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", e.Failures)}");
    return 1;
}

/// <summary>The host; public for WebApplicationFactory in the tests.</summary>
public partial class Program;

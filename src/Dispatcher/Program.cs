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
using Dispatcher.Public;
using Dispatcher.Statements;
using Dispatcher.Subscribers;

var builder = WebApplication.CreateBuilder(args);

builder.AddDispatcherOptions()
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

await app.InitialiseAsync();
await app.RunAsync();

/// <summary>The host; public for WebApplicationFactory in the tests.</summary>
public partial class Program;

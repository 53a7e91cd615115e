using Dispatcher.Bounces.Mailbox;
using Dispatcher.Dispatching;
using Dispatcher.Hosting;

namespace Dispatcher.Bounces;

public static class BouncesExtensions
{
    public static WebApplicationBuilder AddBounces(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BouncesOptions>().BindConfiguration(BouncesOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<BounceMailboxOptions>().BindConfiguration(BouncesOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.Problem is null, "Bounces mailbox: check Bounces:Imap:* / Bounces:Pop3:* (one of them, with Username and Password) and Bounces:PollInterval (at least a second).")
            .ValidateOnStart();
        builder.Services.AddScoped<BounceRecorder>();
        builder.Services.AddScoped<IRelayBounces>(sp => sp.GetRequiredService<BounceRecorder>());
        builder.Services.AddScoped<MailboxReports>();
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Web)
        {
            builder.Services.AddSingleton<BounceMailboxReader>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<BounceMailboxReader>());
        }
        return builder;
    }
}

using Dispatcher.Dispatching;
using Dispatcher.Hosting;

namespace Dispatcher.Digests;

public static class DigestsExtensions
{
    public static WebApplicationBuilder AddDigests(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DigestOptions>().BindConfiguration(DigestOptions.Section)
            .Validate(o => o.IsValid(out _), "Digests:Daily, Digests:Weekly and Digests:TimeZone must be valid cron expressions and a time zone id.")
            .ValidateOnStart();
        builder.Services.AddScoped<DigestRunner>();
        builder.Services.AddScoped<IDeliveryPlan, DigestDeliveryPlan>();
        builder.Services.AddScoped<IDispatchContent, DigestContent>();
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Web)
        {
            builder.Services.AddSingleton<DigestScheduler>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<DigestScheduler>());
        }
        return builder;
    }
}

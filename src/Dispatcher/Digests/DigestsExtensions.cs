using Dispatcher.Dispatching;
using Dispatcher.Hosting;

namespace Dispatcher.Digests;

public static class DigestsExtensions
{
    public static WebApplicationBuilder AddDigests(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DigestOptions>().BindConfiguration(DigestOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<DigestOptions>>(new OptionsProblem<DigestOptions>(o => o.Problem));
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

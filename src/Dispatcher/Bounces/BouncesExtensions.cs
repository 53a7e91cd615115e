namespace Dispatcher.Bounces;

public static class BouncesExtensions
{
    public static WebApplicationBuilder AddBounces(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BouncesOptions>().BindConfiguration(BouncesOptions.Section).ValidateOnStart();
        builder.Services.AddScoped<BounceRecorder>();
        return builder;
    }
}

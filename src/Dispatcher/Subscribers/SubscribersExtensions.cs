using Dispatcher.Dispatching;

namespace Dispatcher.Subscribers;

public static class SubscribersExtensions
{
    /// <summary>Subscriptions, signed links, confirmations, imports, erasure and the suppression list.</summary>
    public static WebApplicationBuilder AddSubscribers(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SubscribersOptions>().BindConfiguration(SubscribersOptions.Section).ValidateOnStart();
        services.AddSingleton<SubscriberTokens>();
        services.AddSingleton<SuppressionSalt>();
        services.AddScoped<SuppressionList>();
        services.AddScoped<SubscriptionService>();
        services.AddScoped<SubscriberImport>();
        services.AddScoped<SubscriberEraser>();
        services.AddScoped<Confirmations>();
        services.AddScoped<Welcomes>();
        services.AddScoped<IDispatchContent, WelcomeContent>();
        services.AddScoped<IDispatchContent, ConfirmationContent>();
        return builder;
    }
}

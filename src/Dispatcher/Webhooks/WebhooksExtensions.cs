using Dispatcher.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.Webhooks;

public static class WebhooksExtensions
{
    /// <summary>The endpoints API everywhere; the sender (and its HTTP client, public networks only unless
    /// Webhooks:AllowPrivateNetworks) where work is done.</summary>
    public static WebApplicationBuilder AddWebhooks(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddPublicOnlyHttpClient(WebhookSender.ClientName, sp => sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks)
            .ConfigureHttpClient(client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan; // the sender applies Webhooks:TimeoutSeconds
                client.DefaultRequestHeaders.UserAgent.ParseAdd("Dispatcher/1.0 (+webhooks)");
            });
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddScoped<WebhookRegistry>();
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Web)
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<WebhookSender>());
            builder.Services.AddSingleton<IWarmUpStep>(sp => new WebhookWarmUp(sp.GetRequiredService<WebhookSender>()));
        }
        return builder;
    }
}

/// <summary>The webhook sender's queries, before /health says ready.</summary>
internal sealed class WebhookWarmUp(WebhookSender sender) : IWarmUpStep
{
    public string Doing => "preparing the webhook sender";

    public Task RunAsync(CancellationToken cancellationToken) => sender.WarmUpAsync(cancellationToken);
}

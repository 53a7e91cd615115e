using Dispatcher.Hosting;

namespace Dispatcher.Feeds;

public static class FeedsExtensions
{
    public static WebApplicationBuilder AddFeeds(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<FeedOptions>().BindConfiguration(FeedOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddPublicOnlyHttpClient(FeedReader.ClientName,
            sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<FeedOptions>>().Value.AllowPrivateNetworks).ConfigureHttpClient(client =>
        {
            client.Timeout = Timeout.InfiniteTimeSpan; // FeedReader applies Feeds:TimeoutSeconds to the whole fetch
            client.DefaultRequestHeaders.UserAgent.ParseAdd("Dispatcher/1.0 (+feed poller)");
            client.DefaultRequestHeaders.Accept.ParseAdd("application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1");
        });
        builder.Services.AddScoped<FeedReader>();
        builder.Services.AddScoped<FeedPoller>();
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Web)
            builder.Services.AddHostedService<FeedScheduler>();
        return builder;
    }
}

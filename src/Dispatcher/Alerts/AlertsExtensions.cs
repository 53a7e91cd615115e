using Dispatcher.Dispatching;
using Dispatcher.Hosting;

namespace Dispatcher.Alerts;

public static class AlertsExtensions
{
    /// <summary>Urgent solidarity alerts: drafts, the two-person rule, who gets them, and their email.</summary>
    public static WebApplicationBuilder AddAlerts(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<AlertService>();
        builder.Services.AddScoped<AlertContent>();
        builder.Services.AddScoped<AlertTestSender>();
        builder.Services.AddScoped<ApprovalRequests>();
        builder.Services.AddScoped<IDeliveryPlan, AlertDeliveryPlan>();
        builder.Services.AddScoped<IDispatchAudience, AlertAudience>();
        builder.Services.AddScoped<IDispatchContent>(sp => sp.GetRequiredService<AlertContent>());
        builder.Services.AddCodeWarmUp(typeof(AlertService).Namespace!);
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Web)
            builder.Services.AddHostedService<ApprovalRequestRedrive>();
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Worker)
        {
            builder.Services.AddWarmUp<AlertService>("running the alert API's database queries once", (s, ct) => s.WarmUpAsync(ct));
            builder.Services.AddJsonWarmUp<AlertSendResponse>();
        }
        return builder;
    }
}

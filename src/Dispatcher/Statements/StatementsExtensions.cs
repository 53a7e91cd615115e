using Dispatcher.Dispatching;
using Dispatcher.Hosting;

namespace Dispatcher.Statements;

public static class StatementsExtensions
{
    /// <summary>Publishing statements, who gets them at once, and their email.</summary>
    public static WebApplicationBuilder AddStatements(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<StatementPublisher>();
        builder.Services.AddScoped<IDeliveryPlan, StatementDeliveryPlan>();
        builder.Services.AddScoped<IDispatchContent, StatementContent>();
        builder.Services.AddScoped<IDispatchAudience, StatementAudience>();
        builder.Services.AddCodeWarmUp(typeof(StatementPublisher).Namespace!);
        if (builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Worker)
        {
            builder.Services.AddWarmUp<StatementPublisher>("running the statement API's database queries once", (p, ct) => p.WarmUpAsync(ct));
            builder.Services.AddJsonWarmUp<PublishStatementResponse>();
        }
        return builder;
    }
}

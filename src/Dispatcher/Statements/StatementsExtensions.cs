using Dispatcher.Dispatching;

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
        return builder;
    }
}

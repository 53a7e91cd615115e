using Dispatcher.Webhooks;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dispatcher.Access;
using Dispatcher.Alerts;
using Dispatcher.Audit;
using Dispatcher.Faults;
using Dispatcher.Bounces;
using Dispatcher.Digests;
using Dispatcher.Feeds;
using Dispatcher.Dispatching;
using Dispatcher.Lists;
using Dispatcher.Mail.Branding;
using Dispatcher.Mail.Capture;
using Scalar.AspNetCore;
using Dispatcher.Statements;
using Dispatcher.Subscribers;

namespace Dispatcher.Hosting;

public static class ApiExtensions
{
    /// <summary>JSON in camelCase, problem details for every error, and request-binding failures that name the field.</summary>
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        // Bad JSON throws, so UnhandledExceptionHandler can answer 400 naming the field instead of an empty 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<UnhandledExceptionHandler>();
        builder.Services.AddOpenApi(o =>
        {
            o.ShouldInclude = endpoint => endpoint.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true;
            o.AddDocumentTransformer<ApiDocument>();
            o.AddOperationTransformer<ApiDocument>();
        });
        return builder;
    }

    public static WebApplication MapApi(this WebApplication app)
    {
        var api = app.MapGroup("/api");
        api.MapApiKeys();
        api.MapLists();
        api.MapSubscribers();
        api.MapSegments();
        api.MapStatements();
        api.MapAlerts();
        api.MapDigests();
        api.MapFeeds();
        api.MapWebhooks();
        api.MapDispatches();
        api.MapMailbox();
        api.MapBranding();
        api.MapBounces();
        api.MapAudit();
        api.MapFaults();
        // Anything else under /api is a 404 problem, not a page.
        api.MapFallback(() => ApiProblem.NotFound("There is no such API endpoint.")).ExcludeFromDescription();
        app.MapOpenApi(ApiDocument.Route).AllowAnonymous();
        app.MapApiReference();
        return app;
    }
}

using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Dispatcher.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Hosting;

/// <summary>The API reference is the OpenAPI document, so it must hold every /api route the app maps, with the bearer
/// scheme; the reference UI is served from the app.</summary>
public sealed partial class OpenApiTests
{
    [Fact]
    public async Task Every_mapped_api_route_is_in_the_openapi_document()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        using var anonymous = app.ClientWithKey(null);
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;

        var mapped = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true && !e.RoutePattern.RawText.StartsWith("/api/docs"))
            .Where(e => e.Metadata.GetMetadata<HttpMethodMetadata>() is not null) // not the /api fallback
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {Constraint().Replace(e.RoutePattern.RawText!.TrimEnd('/'), "}")}"))
            .ToHashSet();
        var documented = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key.ToUpperInvariant()} {p.Key}"))
            .ToHashSet();

        Assert.True(mapped.Count > 30, $"only {mapped.Count} routes found");
        Assert.Empty(mapped.Except(documented));
        Assert.Equal("http", document["components"]!["securitySchemes"]!["apiKey"]!["type"]!.GetValue<string>());
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["apiKey"]!["scheme"]!.GetValue<string>());
        Assert.NotNull(document["security"]![0]!["apiKey"]);
        Assert.NotNull(document["paths"]!["/api/lists"]!["post"]!["responses"]!["400"]!["content"]!["application/problem+json"]);
    }

    [Fact]
    public async Task The_reference_ui_is_served_from_the_app_and_allows_only_its_own_scripts()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        using var anonymous = app.ClientWithKey(null);

        using var page = await anonymous.GetAsync("/api/docs/");
        var html = await page.Content.ReadAsStringAsync();
        var script = Regex.Match(html, "<script src=\"([^\"]+)\"").Groups[1].Value;
        using var bundle = await anonymous.GetAsync(new Uri(new Uri("https://localhost/api/docs/"), script).PathAndQuery);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.DoesNotContain("https://cdn", html);
        Assert.Equal(HttpStatusCode.OK, bundle.StatusCode);
        var policy = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Matches("script-src 'self' 'sha256-[A-Za-z0-9+/=]+'", policy); // its inline start-up script, by hash
        Assert.DoesNotContain("unsafe-inline", policy.Split("script-src")[1].Split(';')[0]);
    }

    [GeneratedRegex(":[^}]+}")]
    private static partial Regex Constraint();
}

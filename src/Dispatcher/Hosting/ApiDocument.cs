using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Dispatcher.Hosting;

/// <summary>The OpenAPI document of /api (at <see cref="Route"/>, with a reference UI at <see cref="ReferencePath"/>):
/// every endpoint with its schemas, and the bearer scheme that every one of them but the capture mailbox's needs.</summary>
public sealed class ApiDocument : IOpenApiDocumentTransformer, IOpenApiOperationTransformer
{
    public const string Route = "/openapi/{documentName}.json";
    public const string ReferencePath = "/api/docs";
    private const string Bearer = "apiKey";

    /// <summary>Every operation can answer 401 (no key) and 403 (a key without the role or the list): problem details.</summary>
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        operation.Responses ??= new OpenApiResponses();
        foreach (var (status, description) in new[] { ("401", "No API key, or an unknown or revoked one."), ("403", "The key's role, or its granted lists, do not allow this.") })
            operation.Responses.TryAdd(status, new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", context.Document) },
                },
            });
        return Task.CompletedTask;
    }

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Dispatcher API",
            Version = "v1",
            Description = "Statements, urgent alerts, lists, subscribers and their mail. Send an API key as `Authorization: Bearer <key>`; "
                          + "errors are problem details (RFC 9457) naming every bad field. Collections answer `{items, next}`, newest first; "
                          + "pass `next` as `after` for the following page.",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API key (POST /api/keys, or Dispatcher:Bootstrap:ApiKey). Roles: admin, organiser (its granted lists), publisher.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, document)] = [] }];
        return Task.CompletedTask;
    }
}

/// <summary>The API reference UI at /api/docs: Scalar, with its scripts served from the package (no CDN). Its page
/// starts itself with an inline script, which the site's Content-Security-Policy forbids; that page alone gets a policy
/// that allows exactly its own inline scripts, by their SHA-256 hashes, and nothing else.</summary>
public static partial class ApiReference
{
    public static void MapApiReference(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.Equals(ApiDocument.ReferencePath + "/", StringComparison.OrdinalIgnoreCase))
            {
                await next(context);
                return;
            }
            var original = context.Response.Body;
            using var page = new MemoryStream();
            context.Response.Body = page;
            try
            {
                await next(context);
            }
            finally
            {
                context.Response.Body = original;
            }
            var hashes = InlineScript().Matches(System.Text.Encoding.UTF8.GetString(page.ToArray()))
                .Select(m => $"'sha256-{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'");
            WebSecurity.SetContentSecurityPolicy(context, WebSecurity.ContentSecurityPolicy.Replace("script-src 'self'", $"script-src 'self' {string.Join(' ', hashes)}"));
            page.Position = 0;
            await page.CopyToAsync(original, context.RequestAborted);
        });
        app.MapScalarApiReference(ApiDocument.ReferencePath, o => o
                .WithTitle("Dispatcher API")
                .WithOpenApiRoutePattern(ApiDocument.Route)
                .DisableDefaultFonts() // fonts from this origin only: the policy refuses others
                .DisableAgent().DisableMcp().HideClientButton()) // nothing that talks to Scalar's own services
            .AllowAnonymous().ExcludeFromDescription();
    }

    [System.Text.RegularExpressions.GeneratedRegex("<script(?![^>]*\\bsrc=)[^>]*>(.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline)]
    private static partial System.Text.RegularExpressions.Regex InlineScript();
}

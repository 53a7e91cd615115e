using System.Text.Json;
using Dispatcher.Data;
using Microsoft.AspNetCore.Diagnostics;

namespace Dispatcher.Hosting;

/// <summary>Turns what escapes an endpoint into an answer: a body that does not bind names the bad field (400); the
/// database away or full for now is a 503 with Retry-After;
/// anything else is a 500 that says nothing about the inside. Problem details for the API, a page for people; never a
/// stack trace.</summary>
public sealed class UnhandledExceptionHandler(ILogger<UnhandledExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is BadHttpRequestException bad)
        {
            if (FindJsonException(bad) is { } json)
            {
                var field = FieldOf(json.Path);
                await Problems.WriteAsync(context, StatusCodes.Status400BadRequest, "The request has invalid fields.", null,
                    new Dictionary<string, string[]> { [field] = [DescribeJsonError(field, json)] });
            }
            else
            {
                await Problems.WriteAsync(context, bad.StatusCode, "Bad request", bad.Message);
            }
            return true;
        }

        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
            return true; // the client went away; nobody is listening for an answer

        if (DatabaseOutage.Is(exception))
        {
            // /health says so too; one line per request, not a stack trace each, while the database is away.
            logger.LogWarning("The database is not reachable for {Method} {Path}: {Message}", context.Request.Method, context.Request.Path,
                exception.GetBaseException().Message);
            context.Response.Headers.RetryAfter = DatabaseOutage.RetryAfterSeconds;
            await AnswerAsync(context, StatusCodes.Status503ServiceUnavailable, DatabaseOutage.Title,
                "Try again shortly. A change sent just as it went away may have been saved: look before sending it again.");
            return true;
        }

        logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        await AnswerAsync(context, StatusCodes.Status500InternalServerError, "Something went wrong on our side.", $"Reference: {context.TraceIdentifier}");
        return true;
    }

    private static Task AnswerAsync(HttpContext context, int status, string title, string detail) =>
        StatusPages.IsForPeople(context.Request)
            ? StatusPages.WritePageAsync(context, status, title, detail)
            : Problems.WriteAsync(context, status, title, detail);

    private static JsonException? FindJsonException(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (inner is JsonException json) return json;
        return null;
    }

    /// <summary>"$.lists[0]" → "lists[0]"; a body that is not JSON at all → "body".</summary>
    internal static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return "body";
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string DescribeJsonError(string field, JsonException json) =>
        field == "body"
            ? "The body must be a JSON object."
            : $"'{field}' has the wrong type or is not valid JSON (line {json.LineNumber + 1}).";
}

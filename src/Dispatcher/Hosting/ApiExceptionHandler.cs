using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Dispatcher.Hosting;

/// <summary>Turns what escapes an endpoint into problem details: a body that does not bind names the bad field (400);
/// anything else is a 500 that says nothing about the inside. Never a stack trace to a client.</summary>
public sealed class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
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

        logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, "Something went wrong on our side.",
            $"Reference: {context.TraceIdentifier}");
        return true;
    }

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

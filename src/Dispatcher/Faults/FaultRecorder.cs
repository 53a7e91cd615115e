using System.Text.Json;
using Dispatcher.Data;
using MassTransit;

namespace Dispatcher.Faults;

/// <summary>Records the Fault&lt;T&gt; that MassTransit publishes when a consumer of T has failed all its retries and
/// the message has gone to the error queue. The queue keeps flowing; the message waits there to be moved back once
/// the cause is fixed, and /api/errors (and the admin UI) say what happened.</summary>
public sealed class FaultRecorder<T>(DispatcherDb db, TimeProvider clock, ILogger<FaultRecorder<T>> logger) : IConsumer<Fault<T>> where T : class
{
    public async Task Consume(ConsumeContext<Fault<T>> context)
    {
        var fault = context.Message;
        var error = string.Join(" → ", fault.Exceptions.Select(e => $"{e.ExceptionType}: {e.Message}"));
        db.FailedMessages.Add(new FailedMessage
        {
            MessageType = typeof(T).Name,
            Payload = Limit(JsonSerializer.Serialize(fault.Message), 4000),
            Error = Limit(error, 2000),
            FaultedAt = clock.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(context.CancellationToken);
        logger.LogError("{MessageType} failed after its retries and went to the error queue: {Error}", typeof(T).Name, error);
    }

    private static string Limit(string text, int length) => text.Length <= length ? text : text[..length];
}

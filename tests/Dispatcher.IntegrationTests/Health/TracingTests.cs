
using System.Diagnostics;
using Dispatcher.IntegrationTests.Infrastructure;
using OpenTelemetry.Trace;

namespace Dispatcher.IntegrationTests.Health;

/// <summary>With OpenTelemetry:Endpoint set, a statement's path — the API request, the bus, planning, the batch that
/// sends — is one trace (read from an in-memory copy of what is exported).</summary>
public sealed class TracingTests
{
    /// <summary>What the exporter hands over, from any thread.</summary>
    private sealed class Spans : ICollection<Activity>
    {
        private readonly List<Activity> _items = [];

        public List<Activity> Snapshot() { lock (_items) return [.. _items]; }
        public void Add(Activity item) { lock (_items) _items.Add(item); }
        public void Clear() { lock (_items) _items.Clear(); }
        public bool Contains(Activity item) { lock (_items) return _items.Contains(item); }
        public void CopyTo(Activity[] array, int arrayIndex) { lock (_items) _items.CopyTo(array, arrayIndex); }
        public bool Remove(Activity item) { lock (_items) return _items.Remove(item); }
        public int Count { get { lock (_items) return _items.Count; } }
        public bool IsReadOnly => false;
        public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Theory]
    [BothStacks]
    public async Task A_statement_from_the_API_request_to_the_batch_that_sends_it_is_one_trace(Stack stack)
    {
        var spans = new Spans();
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp, new Dictionary<string, string?>
        {
            ["OpenTelemetry:Endpoint"] = "http://127.0.0.1:9", // nobody listens: the OTLP export fails quietly, the copy below is read
        }, services: s => s.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
        await app.Api.CreateListAsync("statements", doubleOptIn: false);
        await app.Api.PostOkAsync("/api/lists/statements/subscribers", new { email = "ana@example.org", confirmed = true }, System.Net.HttpStatusCode.Created);

        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);

        bool Ours(Activity span) => Equals(span.GetTagItem("dispatcher.dispatch_id"), dispatchId.Value); // not the warm-up's
        var send = await Eventually.UntilAsync(() => Task.FromResult(spans.Snapshot().FirstOrDefault(s => s.DisplayName == "send batch" && Ours(s))),
            s => s is not null, TimeSpan.FromSeconds(30), "the batch's span");
        var all = spans.Snapshot();
        var request = all.Single(s => s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("POST") && s.DisplayName.Contains("/api/statements"));
        Assert.Equal(request.TraceId, send!.TraceId);
        Assert.Equal(request.TraceId, all.Single(s => s.DisplayName == "plan dispatch" && Ours(s)).TraceId);
        Assert.Contains(all, s => s.Source.Name == "MassTransit" && s.TraceId == request.TraceId); // the bus hop is in it too
    }
}

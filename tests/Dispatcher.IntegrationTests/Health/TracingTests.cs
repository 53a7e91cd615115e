
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

        // The spans of every app this test process runs reach every exporter (ActivitySources are process-wide): the
        // request starts a trace of its own, so what belongs to this statement is told apart by its trace id.
        var traceId = ActivityTraceId.CreateRandom();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/api/statements")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { title = "Stop the repression of South Korean trade unionists", lists = new[] { "statements" } }),
        };
        post.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await app.Api.SendAsync(post);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var dispatchId = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!["dispatchId"]!.GetValue<long>();
        await app.Api.WaitForDispatchAsync(dispatchId);

        bool Ours(Activity span) => span.TraceId == traceId;
        var send = await Eventually.UntilAsync(() => Task.FromResult(spans.Snapshot().FirstOrDefault(s => s.DisplayName == "send batch" && Ours(s))),
            s => s is not null, TimeSpan.FromSeconds(30), "the batch's span in the request's trace");
        var all = spans.Snapshot();
        Assert.Equal(dispatchId, send!.GetTagItem("dispatcher.dispatch_id"));
        Assert.Single(all, s => s.Kind == ActivityKind.Server && s.DisplayName.StartsWith("POST") && s.DisplayName.Contains("/api/statements") && Ours(s));
        Assert.Contains(all, s => s.DisplayName == "plan dispatch" && Ours(s) && Equals(s.GetTagItem("dispatcher.dispatch_id"), dispatchId));
        Assert.Contains(all, s => s.Source.Name == "MassTransit" && Ours(s)); // the bus hop is in it too
    }
}

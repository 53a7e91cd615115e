using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using Dispatcher.Hosting;

namespace Dispatcher.Tests.Hosting;

public sealed class JitWarmUpTests
{
    [Fact]
    public void This_runtime_has_the_async_builders_the_warm_up_looks_for_by_name() =>
        Assert.True(JitWarmUp.AsyncMachinery.Found, "AsyncMethodBuilderCore.Start, VoidTaskResult, AsyncTaskMethodBuilder<T>.AsyncStateMachineBox<T> "
                                                    + "or its GetStateMachineBox / AwaitUnsafeOnCompleted were not found: a first send compiles them again");

    [Fact]
    public void Any_of_the_apps_code_compiles_without_an_error()
    {
        // Every namespace, not only those the features register today: one a feature adds tomorrow is covered too.
        var prepared = JitWarmUp.Prepare(JitWarmUp.InNamespaces([.. typeof(JitWarmUp).Assembly.GetTypes().Select(t => t.Namespace).OfType<string>().Distinct()]),
            CancellationToken.None);
        Assert.True(prepared > 1_000, $"{prepared} methods");
    }

    [Fact]
    public async Task The_framework_code_that_runs_an_async_method_is_compiled_before_the_method_first_suspends()
    {
        // Async methods compiled with optimisations (their state machines structs, as in the app's Release build) that
        // nothing in this process has run: TarWriter's. (Their own code and Start are precompiled
        // in the framework's ReadyToRun code, which a test process uses; the boxes are not.)
        using var jit = new JitLog();
        JitWarmUp.Prepare([typeof(System.Formats.Tar.TarWriter)], CancellationToken.None);

        var clock = Stopwatch.StartNew();
        while (!jit.Compiled.Any(m => m.Contains("AsyncStateMachineBox") && m.Contains("TarWriter+<") && m.EndsWith("::MoveNext")))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30),
                "the boxes of TarWriter's async methods were not compiled:\n" + string.Join('\n', jit.Compiled.Where(m => m.Contains("Tar"))));
            await Task.Delay(20, CancellationToken.None);
        }
    }

    /// <summary>The names of the methods the JIT compiles while it listens (the runtime's events arrive a little later).</summary>
    private sealed class JitLog : EventListener
    {
        public ConcurrentQueue<string> Compiled { get; } = new();

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10); // JIT
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e is { EventName: "MethodJittingStarted_V1", Payload: { } payload, PayloadNames: { } names })
                Compiled.Enqueue($"{payload[names.IndexOf("MethodNamespace")]}::{payload[names.IndexOf("MethodName")]}");
        }
    }
}

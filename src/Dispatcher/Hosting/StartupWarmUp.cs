using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dispatcher.Hosting;

/// <summary>Something a process does at start so that its first send is as quick as the next: compile the templates,
/// open the alert lane's connections, run the send path's database queries once. Each feature registers its own.</summary>
public interface IWarmUpStep
{
    /// <summary>What it is doing, for /health while it does: "compiling the email templates".</summary>
    string Doing { get; }

    /// <summary>Does the work; must send nothing and change nothing. A failure is logged and start-up goes on: what
    /// failed here fails again, and is reported, where it is used.</summary>
    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>Runs every <see cref="IWarmUpStep"/> at start, side by side. /health answers 503 "warming up" until all are
/// done, so a load balancer or an orchestrator sends the process nothing before. Registered after every other hosted
/// service: the steps use the bus and the capture mailbox, which start before.</summary>
public sealed class StartupWarmUp(IEnumerable<IWarmUpStep> steps, ILogger<StartupWarmUp> logger) : BackgroundService
{
    private readonly IWarmUpStep[] _steps = steps.ToArray();
    private readonly HashSet<IWarmUpStep> _running = [.. steps];
    private readonly Lock _lock = new();

    public bool IsDone
    {
        get
        {
            lock (_lock) return _running.Count == 0;
        }
    }

    /// <summary>What it is still doing, for /health.</summary>
    public string Doing
    {
        get
        {
            lock (_lock) return string.Join(" and ", _steps.Where(_running.Contains).Select(s => s.Doing));
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(_steps.Select(step => RunAsync(step, stoppingToken)));

    private async Task RunAsync(IWarmUpStep step, CancellationToken stoppingToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await Task.Yield(); // side by side, and start-up goes on meanwhile
            await step.RunAsync(stoppingToken);
            logger.LogDebug("Warm-up: {Doing} took {Seconds:0.00} s", step.Doing, clock.Elapsed.TotalSeconds);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Warm-up: {Doing} failed after {Seconds:0.00} s; the first send may be slower", step.Doing, clock.Elapsed.TotalSeconds);
        }
        finally
        {
            lock (_lock) _running.Remove(step);
        }
    }
}

public static class WarmUpExtensions
{
    /// <summary>A warm-up step that runs <paramref name="run"/> on a scoped service (one with a database context), in a
    /// scope of its own.</summary>
    public static IServiceCollection AddWarmUp<TService>(this IServiceCollection services, string doing, Func<TService, CancellationToken, Task> run)
        where TService : notnull =>
        services.AddSingleton<IWarmUpStep>(sp => new ScopedWarmUp<TService>(sp.GetRequiredService<IServiceScopeFactory>(), doing, run));

    /// <summary>Code to compile at start: the types of the app's namespace <paramref name="ns"/> and those below it.</summary>
    public static IServiceCollection AddCodeWarmUp(this IServiceCollection services, string ns) => services.AddCodeWarmUp(new WarmUpCode([], ns));

    /// <summary>Code to compile at start: these types.</summary>
    public static IServiceCollection AddCodeWarmUp(this IServiceCollection services, params Type[] types) => services.AddCodeWarmUp(new WarmUpCode(types, null));

    private static IServiceCollection AddCodeWarmUp(this IServiceCollection services, WarmUpCode code)
    {
        services.AddSingleton(code);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWarmUpStep, CodeWarmUp>());
        return services;
    }

    /// <summary>An API answer type to prepare at start (<see cref="JsonAnswerWarmUp"/>).</summary>
    public static IServiceCollection AddJsonWarmUp<TAnswer>(this IServiceCollection services)
    {
        services.AddSingleton(new JsonAnswerType(typeof(TAnswer)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWarmUpStep, JsonAnswerWarmUp>());
        return services;
    }

    private sealed class ScopedWarmUp<TService>(IServiceScopeFactory scopes, string doing, Func<TService, CancellationToken, Task> run) : IWarmUpStep
        where TService : notnull
    {
        public string Doing => doing;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            await using var scope = scopes.CreateAsyncScope();
            await run(scope.ServiceProvider.GetRequiredService<TService>(), cancellationToken);
        }
    }
}

/// <summary>An API answer the JSON serializer should know before the first request that returns it.</summary>
public sealed record JsonAnswerType(Type Type);

/// <summary>Builds the JSON serializer's description of each registered answer type and writes one, empty, to nowhere:
/// System.Text.Json makes a type's accessors (emitted code the JIT then compiles) on its first use, tens of methods a
/// type, which an organiser's first send and the progress page would otherwise pay beside the first messages.</summary>
public sealed class JsonAnswerWarmUp(IEnumerable<JsonAnswerType> types, Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    : IWarmUpStep
{
    public string Doing => "preparing the API's JSON answers";

    public Task RunAsync(CancellationToken cancellationToken)
    {
        foreach (var type in types.Select(t => t.Type).Distinct())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var empty = System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(type);
            System.Text.Json.JsonSerializer.Serialize(Stream.Null, empty, type, json.Value.SerializerOptions);
        }
        return Task.CompletedTask;
    }
}

/// <summary>Code a feature wants compiled at start (<see cref="JitWarmUp"/>): what its first send runs — types, or a
/// namespace of the app, looked up when the step runs rather than while the services are registered.</summary>
public sealed record WarmUpCode(IReadOnlyList<Type> Types, string? Namespace);

/// <summary>Compiles the registered code, beside the other steps (on the other core, where there is one).</summary>
public sealed class CodeWarmUp(IEnumerable<WarmUpCode> code, ILogger<CodeWarmUp> logger) : IWarmUpStep
{
    public string Doing => "compiling the send path's code";

    public Task RunAsync(CancellationToken cancellationToken)
    {
        var namespaces = code.Select(c => c.Namespace).OfType<string>().ToArray();
        var methods = JitWarmUp.Prepare(code.SelectMany(c => c.Types).Concat(JitWarmUp.InNamespaces(namespaces)).Distinct(), cancellationToken);
        logger.LogDebug("Warm-up: compiled {Methods} methods", methods);
        return Task.CompletedTask;
    }
}

using System.Reflection;
using System.Runtime.CompilerServices;

namespace Dispatcher.Hosting;

/// <summary>Compiles code before it is first called. The app's code is compiled optimised at its first call
/// (TieredCompilationQuickJit off, docs/adr/0007), 0.1–5 ms a method on two cores: a first send pays for every method on
/// its path that has not run yet — measured, ~300 ms of compiling over the first second of an alert, most of it before
/// its first message (docs/adr/0012). Two kinds of code are compiled here:
/// <list type="bullet">
/// <item>the methods of the given types, with their nested types (lambdas' closures, the state machines of async
/// methods) and their static constructors;</item>
/// <item>for each async method among them, the framework's code that runs it — the builder's <c>Start</c>, its box and
/// its <c>AwaitUnsafeOnCompleted</c> for each awaiter the method awaits. These are generic over the method's own state
/// machine (a struct), so each async method has its own copy, compiled the first time the method suspends: most of
/// what a first send compiled after the methods themselves were.</item>
/// </list>
/// Generic methods and methods of generic types of the app are left to their first call: which instantiations they
/// need is known only then. The framework's builder types are found by name; if a .NET version renames them, that part
/// compiles nothing (and <c>JitWarmUpTests</c> fails), the rest still works.</summary>
public static class JitWarmUp
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>Compiles the methods of <paramref name="types"/> and what runs their async methods; returns how many
    /// methods it compiled.</summary>
    public static int Prepare(IEnumerable<Type> types, CancellationToken cancellationToken)
    {
        var prepared = 0;
        foreach (var type in types.SelectMany(WithNested).Where(t => !t.ContainsGenericParameters).Distinct())
        {
            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared))
                         .Where(m => !m.IsAbstract && !m.ContainsGenericParameters && m.GetMethodBody() is not null))
            {
                cancellationToken.ThrowIfCancellationRequested();
                prepared += Compile(method, []);
            }
            if (type.IsValueType && typeof(IAsyncStateMachine).IsAssignableFrom(type))
                prepared += AsyncMachinery.Prepare(type);
        }
        return prepared;
    }

    /// <summary>The types of the app's assembly in the given namespaces (and the namespaces below them).</summary>
    public static IEnumerable<Type> InNamespaces(params string[] namespaces) =>
        typeof(JitWarmUp).Assembly.GetTypes().Where(t => !t.IsNested && t.Namespace is { } ns
            && namespaces.Any(n => ns == n || ns.StartsWith(n + ".", StringComparison.Ordinal)));

    /// <summary>Compiles one method (of a generic type or a generic method: with the type arguments of its declaring type,
    /// then its own). The function pointer first: PrepareMethod leaves a virtual method alone until something has asked
    /// for its entry point — every async method's MoveNext, every override and interface method, measured on .NET 10.</summary>
    private static int Compile(MethodBase method, Type[] instantiation)
    {
        _ = method.MethodHandle.GetFunctionPointer();
        RuntimeHelpers.PrepareMethod(method.MethodHandle, instantiation.Length == 0 ? null : [.. instantiation.Select(t => t.TypeHandle)]);
        return 1;
    }

    private static IEnumerable<Type> WithNested(Type type) =>
        type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(WithNested).Prepend(type);

    /// <summary>The framework's code generic over an async method's state machine. An async method's state machine
    /// holds its builder in <c>&lt;&gt;t__builder</c> and an awaiter for each kind of await in <c>&lt;&gt;u__N</c>
    /// (the C# compiler's names); every builder for Task, Task&lt;T&gt;, ValueTask and ValueTask&lt;T&gt; boxes the state
    /// machine in <c>AsyncTaskMethodBuilder&lt;TResult&gt;.AsyncStateMachineBox&lt;TStateMachine&gt;</c> (void for Task).</summary>
    internal static class AsyncMachinery
    {
        private static readonly Assembly CoreLib = typeof(IAsyncStateMachine).Assembly;
        private static readonly MethodInfo? CoreStart = CoreLib.GetType("System.Runtime.CompilerServices.AsyncMethodBuilderCore")
            ?.GetMethods(Declared).SingleOrDefault(m => m is { Name: "Start", IsGenericMethodDefinition: true });
        private static readonly Type? VoidResult = CoreLib.GetType("System.Threading.Tasks.VoidTaskResult");
        private static readonly Type? Box = typeof(AsyncTaskMethodBuilder<>).GetNestedType("AsyncStateMachineBox`1", BindingFlags.NonPublic);
        private static readonly MethodInfo[] BuilderMethods = typeof(AsyncTaskMethodBuilder<>).GetMethods(Declared)
            .Where(m => m.IsGenericMethodDefinition && m.Name is "GetStateMachineBox" or "AwaitUnsafeOnCompleted" or "AwaitOnCompleted").ToArray();

        /// <summary>Whether this runtime has the types and methods looked for by name.</summary>
        internal static bool Found => CoreStart is not null && VoidResult is not null && Box is not null
                                      && BuilderMethods.Any(m => m.Name == "GetStateMachineBox") && BuilderMethods.Any(m => m.Name == "AwaitUnsafeOnCompleted");

        internal static int Prepare(Type stateMachine)
        {
            if (!Found || ResultOf(stateMachine) is not { } result) return 0;
            var awaiters = stateMachine.GetFields(Declared).Where(f => f.Name.StartsWith("<>u__", StringComparison.Ordinal))
                .Select(f => f.FieldType).Where(t => !t.ContainsGenericParameters).Distinct().ToArray();
            var prepared = 0;
            prepared += CompileGeneric(CoreStart!, [], [stateMachine]);
            var builder = typeof(AsyncTaskMethodBuilder<>).MakeGenericType(result);
            foreach (var method in BuilderMethods)
            {
                var onBuilder = (MethodInfo)MethodBase.GetMethodFromHandle(method.MethodHandle, builder.TypeHandle)!;
                if (method.GetGenericArguments().Length == 1) prepared += CompileGeneric(onBuilder, [result], [stateMachine]);
                else foreach (var awaiter in awaiters) prepared += CompileGeneric(onBuilder, [result], [awaiter, stateMachine]);
            }
            var box = Box!.MakeGenericType(result, stateMachine);
            foreach (var method in box.GetMethods(Declared).Cast<MethodBase>().Concat(box.GetConstructors(Declared))
                         .Where(m => !m.IsAbstract && !m.IsGenericMethodDefinition && m.GetMethodBody() is not null))
                prepared += Compile(method, [result, stateMachine]);
            return prepared;
        }

        /// <summary>One instantiation of a generic method: the declaring type's type arguments, then the method's.</summary>
        private static int CompileGeneric(MethodInfo method, Type[] typeArguments, Type[] methodArguments)
        {
            try
            {
                return Compile(method.MakeGenericMethod(methodArguments), [.. typeArguments, .. methodArguments]);
            }
            catch (ArgumentException)
            {
                // An awaiter that does not meet the method's constraints (AwaitOnCompleted's INotifyCompletion, say): not a
                // call the async method makes.
                return 0;
            }
        }

        /// <summary>The TResult of the task its builder makes: void for Task and ValueTask; none for builders that do
        /// not box in AsyncTaskMethodBuilder (a custom or pooling builder), which are left alone.</summary>
        private static Type? ResultOf(Type stateMachine)
        {
            var builder = stateMachine.GetField("<>t__builder", Declared)?.FieldType;
            if (builder == typeof(AsyncTaskMethodBuilder) || builder == typeof(AsyncValueTaskMethodBuilder) || builder == typeof(AsyncVoidMethodBuilder))
                return VoidResult;
            if (builder is { IsGenericType: true } && (builder.GetGenericTypeDefinition() == typeof(AsyncTaskMethodBuilder<>)
                                                      || builder.GetGenericTypeDefinition() == typeof(AsyncValueTaskMethodBuilder<>)))
                return builder.GetGenericArguments()[0];
            return null;
        }
    }
}

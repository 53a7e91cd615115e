using System.Reflection;
using System.Runtime.CompilerServices;

namespace Dispatcher.Hosting;

/// <summary>Compiles the methods of the given types — with their nested types: the state machines of async methods,
/// lambdas' closures — before they are first called. The app's code is compiled optimised at its first call
/// (TieredCompilationQuickJit off, docs/adr/0007), 1–15 ms a method on two cores: a first send pays for every method on
/// its path that has not run yet, about half a second over an alert's. Generic methods and methods of generic types
/// are left to their first call: which instantiations they need is known only then.</summary>
public static class JitWarmUp
{
    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    public static int Prepare(IEnumerable<Type> types, CancellationToken cancellationToken)
    {
        var prepared = 0;
        foreach (var type in types.SelectMany(WithNested).Where(t => !t.ContainsGenericParameters))
            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared & ~BindingFlags.Static))
                         .Where(m => !m.IsAbstract && !m.ContainsGenericParameters && m.GetMethodBody() is not null))
            {
                cancellationToken.ThrowIfCancellationRequested();
                RuntimeHelpers.PrepareMethod(method.MethodHandle);
                prepared++;
            }
        return prepared;
    }

    private static IEnumerable<Type> WithNested(Type type) =>
        type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(WithNested).Prepend(type);
}

using Dispatcher.Access;

namespace Dispatcher.Audit;

/// <summary>Audit entries are added to the same unit of work as the change they describe, so both are saved or neither.</summary>
public static class AuditLog
{
    public static AuditEntry Entry(TimeProvider clock, Caller caller, string action, string target, string? details = null) =>
        Entry(clock, caller.Actor, action, target, details);

    public static AuditEntry Entry(TimeProvider clock, string actor, string action, string target, string? details = null) => new()
    {
        At = clock.GetUtcNow().UtcDateTime,
        Actor = Truncate(actor, 400),
        Action = action,
        Target = Truncate(target, 400),
        Details = details,
    };

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}

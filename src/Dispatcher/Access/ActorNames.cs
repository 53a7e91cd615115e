using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Access;

/// <summary>"user:3" and "key:7" (how actions are attributed) as the people and keys they are.</summary>
public static class ActorNames
{
    public static async Task<string?> NameAsync(this DispatcherDb db, string? actor, CancellationToken cancellationToken)
    {
        if (actor is null) return null;
        var parts = actor.Split(':', 2);
        if (parts.Length != 2 || !int.TryParse(parts[1], out var id)) return actor;
        return parts[0] switch
        {
            "user" => await db.Users.Where(u => u.Id == id).Select(u => u.Name ?? u.Email).SingleOrDefaultAsync(cancellationToken) ?? actor,
            "key" => await db.ApiKeys.Where(k => k.Id == id).Select(k => "key “" + k.Name + "”").SingleOrDefaultAsync(cancellationToken) ?? actor,
            _ => actor,
        };
    }
}

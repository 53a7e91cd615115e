using System.Security.Claims;

namespace Dispatcher.Access;

/// <summary>Who is calling, as the endpoints need it: for audit entries, role checks and an organiser's granted lists.</summary>
public sealed record Caller(string Id, string Name, Role Role, IReadOnlySet<string> GrantedLists)
{
    public const string ListClaim = "dispatcher:list";

    public static readonly Caller System = new("system", "system", Role.Admin, new HashSet<string>());

    /// <summary>"key:3 (website)" — what the audit log shows.</summary>
    public string Actor => Id == Name ? Id : $"{Id} ({Name})";

    public bool IsAdmin => Role == Role.Admin;

    /// <summary>Admins act on every list; organisers only on the lists they are granted.</summary>
    public bool MayUseList(string slug) => Role == Role.Admin || GrantedLists.Contains(slug);

    public static Caller From(ClaimsPrincipal user)
    {
        var id = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous";
        var name = user.FindFirstValue(ClaimTypes.Name) ?? id;
        var role = Enum.TryParse<Role>(user.FindFirstValue(ClaimTypes.Role), out var r) ? r : Role.Publisher;
        var lists = user.FindAll(ListClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new Caller(id, name, role, lists);
    }
}

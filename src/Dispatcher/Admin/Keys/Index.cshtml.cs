using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Lists;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Keys;

[Authorize(Policy = Policies.Admin)]
public sealed class KeysModel(DispatcherDb db, TimeProvider clock) : AdminPage
{
    public List<ApiKey> Keys { get; private set; } = [];
    public List<MailingList> Lists { get; private set; } = [];
    public string? NewKey { get; private set; }

    public Task OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(string? name, string? role, List<string>? lists, CancellationToken cancellationToken)
    {
        Role? parsed = role switch { "admin" => Role.Admin, "organiser" => Role.Organiser, "publisher" => Role.Publisher, _ => null };
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || parsed is null) return Failed("Give the key a name and a role.");
        var key = ApiKeyHash.NewKey();
        var row = new ApiKey
        {
            Name = name.Trim(), Role = parsed.Value, KeyHash = ApiKeyHash.Of(key), Prefix = ApiKeyHash.PrefixOf(key),
            Lists = parsed == Role.Organiser ? lists ?? [] : [], CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit.Add(AuditLog.Entry(clock, Caller, "key.created", $"key:{row.Id}", $"{row.Name} ({ApiKeyEndpoints.RoleName(row.Role)})"));
        await db.SaveChangesAsync(cancellationToken);
        NewKey = key;
        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(int id, CancellationToken cancellationToken)
    {
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null) return NotFound();
        key.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        db.Audit.Add(AuditLog.Entry(clock, Caller, "key.revoked", $"key:{id}", key.Name));
        await db.SaveChangesAsync(cancellationToken);
        return Done($"Key “{key.Name}” revoked: it stops working at once.");
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Keys = await db.ApiKeys.AsNoTracking().OrderByDescending(k => k.Id).ToListAsync(cancellationToken);
        Lists = await db.Lists.AsNoTracking().OrderBy(l => l.Name).ToListAsync(cancellationToken);
    }
}

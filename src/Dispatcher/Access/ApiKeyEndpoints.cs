using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Access;

public sealed record CreateApiKeyRequest(string? Name, string? Role, List<string>? Lists);

/// <summary>The key itself is in this answer only: it is stored hashed.</summary>
public sealed record CreatedApiKey(int Id, string Key, string Name, string Role, IReadOnlyList<string> Lists);

public sealed record ApiKeyResponse(int Id, string Name, string Role, IReadOnlyList<string> Lists, string Prefix, DateTime CreatedAt, DateTime? RevokedAt);

public static class ApiKeyEndpoints
{
    public static RouteGroupBuilder MapApiKeys(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/keys").WithTags("API keys").RequireAuthorization(Policies.Admin);
        group.MapPost("/", Create);
        group.MapGet("/", List);
        group.MapDelete("/{id:int}", Revoke);
        return api;
    }

    private static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> Create(
        CreateApiKeyRequest request, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var name = errors.Text("name", request.Name, 200, required: true);
        Role? role = request.Role?.Trim().ToLowerInvariant() switch
        {
            "admin" => Role.Admin,
            "organiser" or "organizer" => Role.Organiser,
            "publisher" => Role.Publisher,
            _ => null,
        };
        if (role is null) errors.Add("role", "'role' must be \"admin\", \"organiser\" or \"publisher\".");
        var slugs = (request.Lists ?? []).Select(s => s?.Trim() ?? "").Distinct().ToList();
        var known = await db.Lists.Where(l => slugs.Contains(l.Slug)).Select(l => l.Slug).ToListAsync(cancellationToken);
        for (var i = 0; i < slugs.Count; i++)
            if (!known.Contains(slugs[i])) errors.Add($"lists[{i}]", $"There is no list '{slugs[i]}'.");
        if (errors.Any) return errors.ToProblem();

        var key = ApiKeyHash.NewKey();
        var row = new ApiKey
        {
            Name = name!,
            Role = role!.Value,
            KeyHash = ApiKeyHash.Of(key),
            Prefix = ApiKeyHash.PrefixOf(key),
            Lists = slugs,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.ApiKeys.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "key.created", $"key:{row.Id}", $"{row.Name} ({RoleName(row.Role)})"));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/keys/{row.Id}", new CreatedApiKey(row.Id, key, row.Name, RoleName(row.Role), row.Lists));
    }

    private static async Task<Results<Ok<Page<ApiKeyResponse>>, ValidationProblem>> List(
        DispatcherDb db, string? after, int? limit, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        var page = PageRequest.Parse(after, limit, errors);
        if (errors.Any) return errors.ToProblem();
        var query = db.ApiKeys.AsNoTracking();
        if (page.After is { } afterId) query = query.Where(k => k.Id < afterId);
        var rows = await query.OrderByDescending(k => k.Id).Take(page.Limit + 1).ToListAsync(cancellationToken);
        return TypedResults.Ok(page.ToPage(rows, k => k.Id,
            k => new ApiKeyResponse(k.Id, k.Name, RoleName(k.Role), k.Lists, k.Prefix, k.CreatedAt, k.RevokedAt)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        int id, DispatcherDb db, TimeProvider clock, HttpContext http, CancellationToken cancellationToken)
    {
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null) return ApiProblem.NotFound($"There is no API key {id}.");
        key.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        db.Audit.Add(AuditLog.Entry(clock, Caller.From(http.User), "key.revoked", $"key:{id}", key.Name));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static string RoleName(Role role) => role.ToString().ToLowerInvariant();
}

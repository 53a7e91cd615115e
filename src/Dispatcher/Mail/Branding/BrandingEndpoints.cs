using Dispatcher.Access;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dispatcher.Mail.Branding;

/// <summary>GET and PUT /api/branding (admin): what the admin UI's "Email content" page edits.</summary>
public static class BrandingEndpoints
{
    public static RouteGroupBuilder MapBranding(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/branding").WithTags("Email content").RequireAuthorization(Policies.Admin);
        group.MapGet("/", (BrandingStore store, CancellationToken ct) => store.ReadAsync(ct));
        group.MapPut("/", Put);
        return api;
    }

    private static async Task<Results<Ok<BrandingInput>, ValidationProblem>> Put(
        BrandingInput input, BrandingStore store, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = input.Validate();
        if (errors.Any) return errors.ToProblem();
        await store.SaveAsync(input, Caller.From(http.User), cancellationToken);
        return TypedResults.Ok(await store.ReadAsync(cancellationToken));
    }
}

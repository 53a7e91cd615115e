using Dispatcher.Access;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Dispatcher.Bounces;

public sealed record BounceRequest(string? Email, string? Kind, string? Reason);

public static class BounceEndpoints
{
    public static RouteGroupBuilder MapBounces(this RouteGroupBuilder api)
    {
        api.MapPost("/bounces", Record).WithTags("Bounces").RequireAuthorization(Policies.Admin);
        return api;
    }

    /// <summary>For relays that report bounces and complaints by webhook. 202 {matched, status}: an address we do not
    /// know is not an error for the relay to retry.</summary>
    private static async Task<Results<Accepted<BounceResult>, ValidationProblem>> Record(
        BounceRequest request, BounceRecorder recorder, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        if (!EmailAddress.TryNormalise(request.Email, out var email, out var emailError)) errors.Add("email", emailError);
        BounceKind? kind = request.Kind?.Trim().ToLowerInvariant() switch
        {
            "hard" => BounceKind.Hard,
            "soft" => BounceKind.Soft,
            "complaint" => BounceKind.Complaint,
            _ => null,
        };
        if (kind is null) errors.Add("kind", "'kind' must be \"hard\", \"soft\" or \"complaint\".");
        var reason = errors.Text("reason", request.Reason, 1000);
        if (errors.Any) return errors.ToProblem();

        var result = await recorder.RecordAsync(email!, kind!.Value, reason, "api", null, Caller.From(http.User), cancellationToken);
        return TypedResults.Accepted((string?)null, result);
    }
}

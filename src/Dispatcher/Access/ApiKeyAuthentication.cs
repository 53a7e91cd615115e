using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Access;

/// <summary>Authenticates <c>Authorization: Bearer &lt;api key&gt;</c> by the key's hash. Revocation takes effect at
/// once because every request looks the key up. Challenges and refusals answer with problem details.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    DispatcherDb db) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>Set when the key could not be looked up; the handler lives for one request.</summary>
    private bool _databaseAway;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();

        var presented = header["Bearer ".Length..].Trim();
        if (presented.Length is 0 or > 256) return AuthenticateResult.Fail("Malformed API key.");

        var hash = ApiKeyHash.Of(presented);
        KeyRow? key;
        try
        {
            key = await db.ApiKeys.AsNoTracking()
                .Where(k => k.KeyHash == hash && k.RevokedAt == null)
                .Select(k => new KeyRow(k.Id, k.Name, k.Role, k.Lists))
                .SingleOrDefaultAsync(Context.RequestAborted);
        }
        catch (Exception e) when (DatabaseOutage.Is(e) && !Context.RequestAborted.IsCancellationRequested)
        {
            // The database is away: nobody can be recognised (GET /health still answers, with the status alone), and
            // a caller that must log in is told to come back, not that its key is wrong.
            _databaseAway = true;
            return AuthenticateResult.Fail("The API key cannot be checked just now: the database is not reachable.");
        }
        if (key is not { } k) return AuthenticateResult.Fail("Unknown or revoked API key.");

        var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, $"key:{k.Id}"));
        identity.AddClaim(new Claim(ClaimTypes.Name, k.Name));
        identity.AddClaim(new Claim(ClaimTypes.Role, k.Role.ToString()));
        foreach (var slug in k.Lists) identity.AddClaim(new Claim(Caller.ListClaim, slug));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private sealed record KeyRow(int Id, string Name, Role Role, List<string> Lists);

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (_databaseAway)
        {
            Response.Headers.RetryAfter = DatabaseOutage.RetryAfterSeconds;
            return Problems.WriteAsync(Context, StatusCodes.Status503ServiceUnavailable, DatabaseOutage.Title,
                "The API key cannot be checked until it is back: send the request again shortly.");
        }
        Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Authentication required",
            "Send an API key as 'Authorization: Bearer <key>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "This key's role does not allow this action.");
}

public static class ApiKeyHash
{
    /// <summary>Keys carry 256 random bits, so a plain SHA-256 (not a slow password hash) is the right tool.</summary>
    public static string Of(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>What lists show of a generated key: "dsp_" and 24 of its 256 random bits.</summary>
    public static string PrefixOf(string key) => key[..8];

    /// <summary>A new key: a recognisable prefix and 256 random bits.</summary>
    public static string NewKey() => "dsp_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}

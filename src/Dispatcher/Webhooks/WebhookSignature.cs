using System.Security.Cryptography;
using System.Text;

namespace Dispatcher.Webhooks;

/// <summary>Standard Webhooks signing (standardwebhooks.com): the secret is "whsec_" and base64 of 32 random bytes; the
/// signature is <c>v1,</c> and base64 of HMAC-SHA256, keyed with the secret's bytes, over "{id}.{timestamp}.{body}".</summary>
public static class WebhookSignature
{
    public const string Prefix = "whsec_";

    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string Sign(string secret, string messageId, long timestamp, string body)
    {
        var key = Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);
        var signed = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}"));
        return "v1," + Convert.ToBase64String(signed);
    }
}

namespace Dispatcher.Hosting;

/// <summary>The form of Dispatcher:SigningKey and Dispatcher:PreviousSigningKeys: at least 32 random bytes, base64 (or
/// base64url) encoded — what <c>openssl rand -base64 32</c> prints and what the generated key is. A passphrase is
/// refused: the key signs every subscriber link, and a guessable one lets anyone unsubscribe or read anyone's
/// preferences.</summary>
public static class SigningKeys
{
    public const int MinimumBytes = 32;

    public static bool TryDecode(string? text, out byte[] key)
    {
        key = [];
        var standard = (text?.Trim() ?? "").Replace('-', '+').Replace('_', '/').TrimEnd('=');
        try
        {
            key = Convert.FromBase64String(standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '='));
        }
        catch (FormatException)
        {
            return false;
        }
        return key.Length >= MinimumBytes && key.Distinct().Count() > 8; // not 32 copies of one byte
    }

    public static string Requirement(string setting) =>
        $"{setting} must be at least {MinimumBytes} random bytes, base64-encoded (generate one with: openssl rand -base64 32).";
}

using Microsoft.Extensions.Options;

namespace Dispatcher.Mail.Dkim;

/// <summary>The "Dkim" section: all three set to sign every message, none to send unsigned.</summary>
public sealed class DkimOptions
{
    public const string Section = "Dkim";

    /// <summary>The d= domain: the From address's domain or a parent of it, for DMARC alignment.</summary>
    public string? Domain { get; set; }

    /// <summary>The s= selector: the key is published at &lt;selector&gt;._domainkey.&lt;domain&gt;.</summary>
    public string? Selector { get; set; }

    /// <summary>A PEM file with the RSA private key (PKCS#1 or PKCS#8), e.g. from <c>dkim-keygen</c> or <c>openssl genrsa</c>.</summary>
    public string? PrivateKeyPath { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Domain) || !string.IsNullOrWhiteSpace(Selector) || !string.IsNullOrWhiteSpace(PrivateKeyPath);
}

/// <summary>Stops the process at start with a message that says what is wrong with the DKIM settings or key.</summary>
public sealed class DkimOptionsValidator : IValidateOptions<DkimOptions>
{
    public ValidateOptionsResult Validate(string? name, DkimOptions options)
    {
        if (!options.Enabled) return ValidateOptionsResult.Success;
        var missing = new[] { ("Dkim:Domain", options.Domain), ("Dkim:Selector", options.Selector), ("Dkim:PrivateKeyPath", options.PrivateKeyPath) }
            .Where(o => string.IsNullOrWhiteSpace(o.Item2)).Select(o => o.Item1).ToList();
        if (missing.Count > 0)
            return ValidateOptionsResult.Fail($"DKIM needs Dkim:Domain, Dkim:Selector and Dkim:PrivateKeyPath together; {string.Join(", ", missing)} is not set.");
        return DkimKey.TryLoad(options.PrivateKeyPath!, out _, out var error)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(error);
    }
}

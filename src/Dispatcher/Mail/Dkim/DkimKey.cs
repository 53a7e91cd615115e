using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using MimeKit.Cryptography;
using Org.BouncyCastle.Security;

namespace Dispatcher.Mail.Dkim;

/// <summary>The DKIM private key and the signer made from it (null when DKIM is off), and the DNS record that
/// publishes its public half.</summary>
public sealed class DkimKey
{
    public DkimKey(IOptions<DkimOptions> options)
    {
        var o = options.Value;
        if (!o.Enabled) return;
        if (!TryLoad(o.PrivateKeyPath!, out var rsa, out var error)) throw new InvalidOperationException(error);
        using (rsa)
        {
            Record = DnsRecord(o.Selector!, o.Domain!, rsa);
            Signer = new DkimSigner(DotNetUtilities.GetRsaKeyPair(rsa).Private, o.Domain!.Trim(), o.Selector!.Trim(), DkimSignatureAlgorithm.RsaSha256)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
        }
    }

    public DkimSigner? Signer { get; }

    /// <summary>The TXT record to publish, or null when DKIM is off.</summary>
    public DkimRecord? Record { get; }

    public static bool TryLoad(string path, out RSA rsa, out string error)
    {
        rsa = RSA.Create();
        var full = Hosting.ContentPaths.ResolveExisting(path);
        if (!File.Exists(full))
        {
            error = $"Dkim:PrivateKeyPath: there is no file at {full}. Create a key with `dotnet run --project src/Dispatcher -- dkim-keygen {path}`.";
            return false;
        }
        try
        {
            rsa.ImportFromPem(File.ReadAllText(full));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            error = $"Dkim:PrivateKeyPath: {full} is not a readable, unencrypted RSA private key in PEM form ({e.Message}).";
            return false;
        }
        if (rsa.KeySize < 1024)
        {
            error = $"Dkim:PrivateKeyPath: the key in {full} has {rsa.KeySize} bits; receivers ignore DKIM keys under 1024 bits (use 2048).";
            return false;
        }
        error = "";
        return true;
    }

    public static DkimRecord DnsRecord(string selector, string domain, RSA rsa) =>
        new($"{selector.Trim()}._domainkey.{domain.Trim().TrimEnd('.')}", $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}");
}

/// <summary>A DNS TXT record: its name and value.</summary>
public sealed record DkimRecord(string Name, string Value)
{
    /// <summary>As a zone-file line; the value is cut into strings of at most 255 characters, as DNS requires.</summary>
    public string ZoneLine => $"{Name}. IN TXT ( {string.Join(" ", Value.Chunk(255).Select(c => $"\"{new string(c)}\""))} )";
}

public static class DkimExtensions
{
    public static WebApplicationBuilder AddDkim(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DkimOptions>().BindConfiguration(DkimOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<DkimOptions>, DkimOptionsValidator>();
        builder.Services.AddSingleton<DkimKey>();
        return builder;
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml.Linq;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Access;

/// <summary>The "DataProtection" section: what encrypts the keys that sign login cookies and antiforgery tokens.</summary>
public sealed class KeyRingOptions
{
    public const string Section = "DataProtection";

    /// <summary>At least 32 random bytes, base64 (<c>openssl rand -base64 32</c>); the same in every Web process.</summary>
    public string? Key { get; set; }

    /// <summary>A PKCS#12 (.pfx) certificate with its private key, instead of <see cref="Key"/>.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }
}

/// <summary>The DataProtection key ring (what signs and encrypts login cookies, antiforgery and TempData) is kept in
/// the database so that every Web process reads it, and encrypted there, so that a copy of the database — a backup, a
/// dump, a replica — does not let anyone mint an admin's login cookie. What encrypts it, in order:
/// DataProtection:CertificatePath (a certificate), DataProtection:Key (AES-256-GCM), or, on SQLite only, a key file
/// made at the first start in the data folder (0600). On PostgreSQL one of the first two must be set, since Web
/// processes on several machines must share it. Workers serve no cookies and keep no key ring.</summary>
public static class KeyRingProtection
{
    public const string KeyFileName = "dataprotection.key";

    public static void AddKeyRing(this WebApplicationBuilder builder)
    {
        var protection = builder.Services.AddDataProtection().SetApplicationName("Dispatcher");
        var dispatcher = builder.Configuration.GetSection(DispatcherOptions.Section).Get<DispatcherOptions>() ?? new DispatcherOptions();
        if (!dispatcher.RunsWeb) return; // ephemeral: nothing of a Worker's is ever protected for later

        var options = builder.Configuration.GetSection(KeyRingOptions.Section).Get<KeyRingOptions>() ?? new KeyRingOptions();
        protection.PersistKeysToDbContext<DispatcherDb>();
        if (!string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            protection.ProtectKeysWithCertificate(LoadCertificate(options));
            return;
        }
        Func<byte[]> secret;
        if (!string.IsNullOrWhiteSpace(options.Key))
        {
            if (!SigningKeys.TryDecode(options.Key, out var configured)) throw new StartupProblem(SigningKeys.Requirement("DataProtection:Key"));
            secret = () => configured;
        }
        else if (builder.DataFolder() is { } folder)
            secret = () => KeyFile(Path.Combine(folder, KeyFileName));
        else
            throw new StartupProblem("DataProtection:Key must be set with Dispatcher:Database=Postgres (every Web process needs the same one; "
                                     + "generate it with: openssl rand -base64 32), or DataProtection:CertificatePath.");
        // Made when first needed (InitialiseAsync asks for it, after every setting was checked), not while wiring.
        builder.Services.AddSingleton(_ => new KeyEncryptionKey(secret()));
        builder.Services.AddOptions<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>()
            .Configure<KeyEncryptionKey>((o, key) => o.XmlEncryptor = new AesGcmXmlEncryptor(key));
    }

    /// <summary>Keys written before the key ring was encrypted are deleted, so none stays readable in the database
    /// (the admin sessions they signed end once; a new, encrypted key is made at the next login).</summary>
    public static async Task<int> RemoveUnencryptedKeysAsync(DispatcherDb db, CancellationToken cancellationToken) =>
        await db.DataProtectionKeys.Where(k => k.Xml != null && !k.Xml.Contains("encryptedSecret")).ExecuteDeleteAsync(cancellationToken);

    private static X509Certificate2 LoadCertificate(KeyRingOptions options)
    {
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath!, options.CertificatePassword);
            return certificate.HasPrivateKey ? certificate
                : throw new StartupProblem($"DataProtection:CertificatePath ({options.CertificatePath}) has no private key: use a .pfx that includes it.");
        }
        catch (CryptographicException e)
        {
            throw new StartupProblem($"DataProtection:CertificatePath ({options.CertificatePath}) cannot be read: {e.Message.TrimEnd('.')} (wrong DataProtection:CertificatePassword?).", e);
        }
        catch (IOException e)
        {
            throw new StartupProblem($"DataProtection:CertificatePath ({options.CertificatePath}) cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The key file of a single-machine installation, made (0600) at its first start.</summary>
    private static byte[] KeyFile(string path)
    {
        if (!File.Exists(path))
            try
            {
                PrivateFiles.WriteNew(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process made it at the same moment: read theirs.
            }
        PrivateFiles.Tighten(path);
        return SigningKeys.TryDecode(File.ReadAllText(path), out var key) ? key
            : throw new StartupProblem($"{path} is not a key Dispatcher made (32 random bytes, base64). Restore it, or delete it to make a new one (admins log in again).");
    }
}

/// <summary>The secret that encrypts the key ring: an AES-256-GCM key derived from DataProtection:Key or the key file.</summary>
public sealed class KeyEncryptionKey(byte[] secret)
{
    public byte[] Value { get; } = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "Dispatcher DataProtection key ring"u8.ToArray());
}

/// <summary>Encrypts each DataProtection key's XML with AES-256-GCM: <c>nonce (12) | tag (16) | ciphertext</c>, base64.</summary>
public sealed class AesGcmXmlEncryptor(KeyEncryptionKey key) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[12 + 16 + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key.Value, 16))
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16));
        CryptographicOperations.ZeroMemory(plaintext);
        var element = new XElement("aesGcm",
            new XComment(" AES-256-GCM under DataProtection:Key (or the data folder's key file) "),
            new XElement("value", Convert.ToBase64String(sealedBytes)));
        return new EncryptedXmlInfo(element, typeof(AesGcmXmlDecryptor));
    }
}

/// <summary>Made by DataProtection from the type name kept with each key, with the app's services.</summary>
public sealed class AesGcmXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var key = services.GetService<KeyEncryptionKey>()
                  ?? throw new CryptographicException("No DataProtection key is configured to decrypt the key ring.");
        var sealedBytes = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? "");
        if (sealedBytes.Length < 28) throw new CryptographicException("The encrypted key is too short.");
        var plaintext = new byte[sealedBytes.Length - 28];
        using (var aes = new AesGcm(key.Value, 16))
            aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plaintext);
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}

using System.Security.Cryptography;

namespace Dispatcher.Mail.Dkim;

/// <summary>The command-line tools for DKIM, run instead of the server:
/// <c>dkim-keygen [path]</c> writes a new 2048-bit key (never over an existing file) and prints its record;
/// <c>dkim-record</c> prints the DNS TXT record for the configured key (Dkim:Domain, Dkim:Selector, Dkim:PrivateKeyPath).</summary>
public static class DkimCommand
{
    public static bool Matches(string[] args) => args.Length > 0 && args[0] is "dkim-record" or "dkim-keygen";

    public static int Run(IConfiguration configuration, string[] args, TextWriter output, TextWriter error)
    {
        var options = configuration.GetSection(DkimOptions.Section).Get<DkimOptions>() ?? new DkimOptions();
        if (args[0] == "dkim-keygen")
        {
            var path = args.Length > 1 ? args[1] : options.PrivateKeyPath;
            if (string.IsNullOrWhiteSpace(path)) return Fail(error, "Say where to write the key: dkim-keygen <path> (or set Dkim:PrivateKeyPath).");
            var full = Path.GetFullPath(path);
            if (File.Exists(full)) return Fail(error, $"{full} exists already; Dispatcher never overwrites a key.");
            using var rsa = RSA.Create(2048);
            Hosting.PrivateFiles.CreateFolder(Path.GetDirectoryName(full)!);
            Hosting.PrivateFiles.WriteNew(full, rsa.ExportPkcs8PrivateKeyPem() + "\n"); // 0600 from the start, never readable by others
            output.WriteLine($"Wrote a 2048-bit RSA key to {full} (readable by you only). Keep it secret and back it up.");
            options.PrivateKeyPath = full;
        }

        if (string.IsNullOrWhiteSpace(options.Domain) || string.IsNullOrWhiteSpace(options.Selector) || string.IsNullOrWhiteSpace(options.PrivateKeyPath))
            return Fail(error, "Set Dkim:Domain, Dkim:Selector and Dkim:PrivateKeyPath (e.g. --Dkim:Domain=example.org --Dkim:Selector=news2026) to print the DNS record.");
        if (!DkimKey.TryLoad(options.PrivateKeyPath, out var key, out var problem)) return Fail(error, problem);
        using (key)
        {
            var record = DkimKey.DnsRecord(options.Selector, options.Domain, key);
            output.WriteLine($"Publish this TXT record in the DNS of {options.Domain.Trim()}:");
            output.WriteLine();
            output.WriteLine($"  name:  {record.Name}");
            output.WriteLine($"  value: {record.Value}");
            output.WriteLine();
            output.WriteLine("As a zone-file line:");
            output.WriteLine();
            output.WriteLine(record.ZoneLine);
        }
        return 0;
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine(message);
        return 2;
    }
}

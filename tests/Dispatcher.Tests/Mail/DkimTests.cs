using System.Security.Cryptography;
using Dispatcher.Mail;
using Dispatcher.Mail.Dkim;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;

namespace Dispatcher.Tests.Mail;

public sealed class DkimTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dkim-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteKey(Func<RSA, string> pem, int bits = 2048)
    {
        using var rsa = RSA.Create(bits);
        var path = Path.Combine(_folder, $"key-{Guid.NewGuid():N}.pem");
        File.WriteAllText(path, pem(rsa));
        return path;
    }

    private static DkimOptions Options(string path) => new() { Domain = "example.org", Selector = "news", PrivateKeyPath = path };

    [Theory]
    [InlineData("pkcs8")]
    [InlineData("pkcs1")]
    public void A_signed_message_verifies_with_the_published_key(string format)
    {
        var path = WriteKey(rsa => format == "pkcs8" ? rsa.ExportPkcs8PrivateKeyPem() : rsa.ExportRSAPrivateKeyPem());
        var key = new DkimKey(Microsoft.Extensions.Options.Options.Create(Options(path)));
        var factory = new MessageFactory(new MailOptions { FromAddress = "news@example.org", FromName = "Socialism From Below" }, TimeProvider.System, key.Signer);

        var message = factory.Create(new OutgoingMessage
        {
            Subject = "Ankara bomb attacks: Blood on Erdoğan’s hands", Body = new RenderedBody("<p>Erdoğan</p>", "Erdoğan\n"),
            ToAddress = "ana@example.org", ToName = "Ana", MessageId = "d1.s2.0123456789ab@example.org",
            List = new ListIdentity("statements", "Statements"), UnsubscribeUrl = "https://example.org/u/T", UnsubscribeMailto = "mailto:b@example.org?subject=unsubscribe%20T",
        });
        using var stream = new MemoryStream();
        message.WriteTo(stream);
        stream.Position = 0;
        var received = MimeMessage.Load(stream);

        var signature = received.Headers[received.Headers.IndexOf(HeaderId.DkimSignature)];
        Assert.Contains("c=relaxed/relaxed", signature.Value.Replace(" ", ""));
        Assert.Contains("a=rsa-sha256", signature.Value.Replace(" ", ""));
        foreach (var header in new[] { "from", "to", "subject", "date", "message-id", "list-id", "list-unsubscribe", "list-unsubscribe-post", "mime-version", "content-type" })
            Assert.Contains(header, signature.Value.ToLowerInvariant());
        var verifier = new DkimVerifier(new RecordLocator(key.Record!));
        Assert.True(verifier.Verify(received, signature));

        received.Subject = "Changed on the way";
        Assert.False(verifier.Verify(received, signature));
    }

    [Fact]
    public void The_dns_record_publishes_the_public_key()
    {
        var path = WriteKey(rsa => rsa.ExportPkcs8PrivateKeyPem());
        var record = new DkimKey(Microsoft.Extensions.Options.Options.Create(Options(path))).Record!;

        Assert.Equal("news._domainkey.example.org", record.Name);
        Assert.StartsWith("v=DKIM1; k=rsa; p=MII", record.Value);
        Assert.All(record.ZoneLine.Split('"').Where((_, i) => i % 2 == 1), chunk => Assert.True(chunk.Length <= 255));
    }

    [Fact]
    public void Bad_settings_and_bad_keys_are_refused_with_a_clear_message()
    {
        var validator = new DkimOptionsValidator();
        Assert.True(validator.Validate(null, new DkimOptions()).Succeeded); // off

        var partial = validator.Validate(null, new DkimOptions { Domain = "example.org" });
        Assert.Contains("Dkim:Selector, Dkim:PrivateKeyPath is not set", partial.FailureMessage);

        var missing = validator.Validate(null, Options(Path.Combine(_folder, "nothing.pem")));
        Assert.Contains("there is no file at", missing.FailureMessage);

        var garbage = Path.Combine(_folder, "garbage.pem");
        File.WriteAllText(garbage, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        Assert.Contains("is not a readable, unencrypted RSA private key", validator.Validate(null, Options(garbage)).FailureMessage);

        var weak = WriteKey(rsa => rsa.ExportPkcs8PrivateKeyPem(), bits: 512);
        Assert.Contains("512 bits", validator.Validate(null, Options(weak)).FailureMessage);
    }

    /// <summary>Answers the verifier's DNS query from the record we would publish.</summary>
    private sealed class RecordLocator(DkimRecord record) : DkimPublicKeyLocatorBase
    {
        public override Org.BouncyCastle.Crypto.AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            $"{selector}._domainkey.{domain}" == record.Name ? GetPublicKey(record.Value) : throw new InvalidOperationException($"no record for {selector}._domainkey.{domain}");

        public override Task<Org.BouncyCastle.Crypto.AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
            Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}

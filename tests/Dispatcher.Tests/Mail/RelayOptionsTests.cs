using Dispatcher.Mail;

namespace Dispatcher.Tests.Mail;

/// <summary>A relay's certificate fingerprint as people copy it (openssl prints colons, others do not), and what stops
/// the process at start instead of failing every connection later.</summary>
public sealed class RelayOptionsTests
{
    private const string Fingerprint = "3A:7F:0C:51:9E:2B:44:D6:8A:10:F3:C2:5E:97:61:0B:DE:22:A4:7C:19:85:E0:3F:6B:D1:48:92:0A:C7:53:EE";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(Fingerprint)]
    [InlineData("3a7f0c519e2b44d68a10f3c25e97610bde22a47c1985e03f6bd148920ac753ee")]
    public void A_fingerprint_with_or_without_colons_in_either_case_or_none_is_accepted(string? fingerprint)
    {
        Assert.True(RelayOptions.IsSha256(fingerprint));
    }

    [Theory]
    [InlineData("3A:7F:0C")] // cut short
    [InlineData("3a7f0c519e2b44d68a10f3c25e97610bde22a47c1985e03f6bd148920ac753")] // 63 digits
    [InlineData("3a7f0c519e2b44d68a10f3c25e97610bde22a47c1985e03f6bd148920ac753eg")] // not hexadecimal
    [InlineData("sha256/3a7f0c519e2b44d68a10f3c25e97610bde22a47c1985e03f6bd148920ac7")]
    public void Anything_else_is_refused(string fingerprint)
    {
        Assert.False(RelayOptions.IsSha256(fingerprint));
    }

    [Fact]
    public void A_relay_with_a_bad_fingerprint_is_named_in_the_problem()
    {
        var options = new SmtpOptions
        {
            Relays = [new RelayOptions { Host = "relay1.example.org" }, new RelayOptions { Host = "relay2.example.org", CertificateSha256 = "3A:7F:0C" }],
        };

        Assert.Equal("Smtp:Relays:1:CertificateSha256 must be a SHA-256 fingerprint: 64 hexadecimal digits, colons allowed.", options.RelaysProblem);
    }

    [Fact]
    public void The_start_is_stopped_with_the_key_at_fault_named()
    {
        var single = SmtpOptions.Check.Validate(null, new SmtpOptions { Host = "relay.example.org", CertificateSha256 = "3A:7F:0C" });
        var several = SmtpOptions.Check.Validate(null, new SmtpOptions { Relays = [new RelayOptions { Host = "relay1.example.org", Weight = 0 }] });

        Assert.Equal(["Smtp:CertificateSha256 must be a SHA-256 fingerprint: 64 hexadecimal digits, colons allowed."], single.Failures);
        Assert.Equal(["Smtp:Relays:0:Weight must be between 1 and 1000."], several.Failures);
        Assert.True(SmtpOptions.Check.Validate(null, new SmtpOptions { Host = "relay.example.org", CertificateSha256 = Fingerprint }).Succeeded);
    }
}

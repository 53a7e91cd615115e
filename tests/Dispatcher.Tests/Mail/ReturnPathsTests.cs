using Dispatcher.Mail;
using Dispatcher.Subscribers;

namespace Dispatcher.Tests.Mail;

public sealed class ReturnPathsTests
{
    private static ReturnPaths Paths(byte fill = 7, bool verp = true)
    {
        var key = new SigningKey();
        key.Set(Enumerable.Repeat(fill, 32).ToArray());
        return new ReturnPaths(key, new MailOptions { FromAddress = "news@example.org", BounceAddress = "bounces@lists.example.org", Verp = verp });
    }

    [Fact]
    public void The_envelope_sender_names_the_delivery_and_reads_back()
    {
        var paths = Paths();
        var envelope = paths.EnvelopeFor(123456).Address;

        Assert.Matches(@"^bounces\+123456\.[0-9a-f]{12}@lists\.example\.org$", envelope);
        Assert.True(paths.TryReadEnvelope(envelope, out var id));
        Assert.Equal(123456, id);
        Assert.True(paths.TryReadEnvelope($"<{envelope.ToUpperInvariant()}>", out id)); // servers may change the case
        Assert.Equal(123456, id);
    }

    [Fact]
    public void A_forged_or_foreign_envelope_sender_is_not_read()
    {
        var paths = Paths();
        var envelope = paths.EnvelopeFor(123456).Address;
        var tag = envelope.Split('.')[1].Split('@')[0];

        Assert.False(paths.TryReadEnvelope($"bounces+123457.{tag}@lists.example.org", out _));   // someone else's delivery
        Assert.False(paths.TryReadEnvelope(envelope.Replace("lists.example.org", "example.net"), out _));
        Assert.False(paths.TryReadEnvelope(envelope.Replace("bounces+", "other+"), out _));
        Assert.False(Paths(fill: 8).TryReadEnvelope(envelope, out _));                          // another installation's key
        Assert.False(paths.TryReadEnvelope("bounces@lists.example.org", out _));
        Assert.False(paths.TryReadEnvelope(null, out _));
    }

    [Fact]
    public void The_message_id_is_the_same_for_the_same_dispatch_and_person_and_reads_back()
    {
        var paths = Paths();

        Assert.Equal(paths.MessageId(40, 7), paths.MessageId(40, 7));
        Assert.NotEqual(paths.MessageId(40, 7), paths.MessageId(40, 8));
        Assert.NotEqual(paths.MessageId(40, 7), paths.MessageId(41, 7));
        Assert.Matches(@"^d40\.s7\.[0-9a-f]{12}@example\.org$", paths.MessageId(40, 7));
        Assert.True(paths.TryReadMessageId($"<{paths.MessageId(40, 7)}>", out var sent));
        Assert.Equal((40L, 7L), sent);
        Assert.False(paths.TryReadMessageId(paths.MessageId(40, 7).Replace("s7.", "s8."), out _));
    }

    [Fact]
    public void Without_verp_the_envelope_sender_is_the_bounce_address()
    {
        Assert.Equal("bounces@lists.example.org", Paths(verp: false).EnvelopeFor(5).Address);
    }
}

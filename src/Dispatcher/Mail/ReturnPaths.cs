using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace Dispatcher.Mail;

/// <summary>The two ways a bounce or complaint finds its way back to one delivery, both signed so that nobody can
/// forge a report that stops mail to someone else:
/// <list type="bullet">
/// <item>the envelope sender (VERP): <c>bounces+&lt;delivery id&gt;.&lt;tag&gt;@domain</c> from Mail:BounceAddress —
///   every DSN is sent to it;</item>
/// <item>the Message-ID: <c>d&lt;dispatch&gt;.s&lt;subscriber&gt;.&lt;tag&gt;@domain</c>, the same whenever that person
///   is sent that dispatch — complaint reports quote it.</item>
/// </list>
/// The tag is 12 hex digits (48 bits) of an HMAC under the installation's signing key; lower case, because some mail
/// servers change the case of local parts.</summary>
public sealed partial class ReturnPaths(SigningKey key, MailOptions mail)
{
    private const int TagLength = 12;
    private readonly string _bounceLocal = LocalPart(mail.EnvelopeSender);
    private readonly string _bounceDomain = DomainOf(mail.EnvelopeSender);

    /// <summary>The plain bounce address, where the mailto: unsubscribe link points too.</summary>
    public string BounceAddress => mail.EnvelopeSender;

    public MailboxAddress EnvelopeFor(long deliveryId) =>
        mail.Verp ? new MailboxAddress("", $"{_bounceLocal}+{deliveryId}.{Tag($"v{deliveryId}")}@{_bounceDomain}") : new MailboxAddress("", BounceAddress);

    public string MessageId(long dispatchId, long subscriberId) =>
        $"d{dispatchId}.s{subscriberId}.{Tag($"d{dispatchId}.s{subscriberId}")}@{mail.Domain}";

    /// <summary>The delivery a VERP address stands for, if the address is one of ours and its tag is right.</summary>
    public bool TryReadEnvelope(string? address, out long deliveryId)
    {
        deliveryId = 0;
        var match = address is null ? null : Verp().Match(address.Trim().Trim('<', '>'));
        if (match is not { Success: true }
            || !string.Equals(match.Groups["local"].Value, _bounceLocal, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(match.Groups["domain"].Value, _bounceDomain, StringComparison.OrdinalIgnoreCase)
            || !long.TryParse(match.Groups["id"].Value, out var id)
            || !TagMatches($"v{id}", match.Groups["tag"].Value)) return false;
        deliveryId = id;
        return true;
    }

    /// <summary>The dispatch and person a Message-ID stands for, if it is one of ours and its tag is right.</summary>
    public bool TryReadMessageId(string? messageId, [NotNullWhen(true)] out (long DispatchId, long SubscriberId)? sent)
    {
        sent = null;
        var match = messageId is null ? null : OurMessageId().Match(messageId.Trim().Trim('<', '>'));
        if (match is not { Success: true }
            || !string.Equals(match.Groups["domain"].Value, mail.Domain, StringComparison.OrdinalIgnoreCase)
            || !long.TryParse(match.Groups["d"].Value, out var dispatchId)
            || !long.TryParse(match.Groups["s"].Value, out var subscriberId)
            || !TagMatches($"d{dispatchId}.s{subscriberId}", match.Groups["tag"].Value)) return false;
        sent = (dispatchId, subscriberId);
        return true;
    }

    private string Tag(string value)
    {
        Span<byte> mac = stackalloc byte[32];
        key.Sign(Signed(value), mac);
        return Convert.ToHexStringLower(mac[..(TagLength / 2)]);
    }

    /// <summary>Under the current key or a previous one: a bounce can arrive days after a key was rotated.</summary>
    private bool TagMatches(string value, string tag) => key.Verifies(Signed(value), Convert.FromHexString(tag));

    private static byte[] Signed(string value) => Encoding.ASCII.GetBytes("return-path:" + value);

    private static string LocalPart(string address) => address[..address.LastIndexOf('@')];
    private static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..].ToLowerInvariant();

    [GeneratedRegex(@"^(?<local>[^@+]+)\+(?<id>[0-9]{1,18})\.(?<tag>[0-9a-fA-F]{12})@(?<domain>[^@\s>]+)$")]
    private static partial Regex Verp();

    [GeneratedRegex(@"^d(?<d>[0-9]{1,18})\.s(?<s>[0-9]{1,18})\.(?<tag>[0-9a-fA-F]{12})@(?<domain>[^@\s>]+)$")]
    private static partial Regex OurMessageId();
}

using System.Text.RegularExpressions;

namespace Dispatcher.Mail.Smtp;

/// <summary>One reply of an SMTP server: its code, and its text (a multi-line reply's lines joined by spaces).</summary>
public readonly partial record struct SmtpReply(int Code, string Text)
{
    public bool IsPositive => Code is >= 200 and < 300;

    /// <summary>The server is closing the connection (421), is short of room (452, unless about one mailbox: 4.2.x), or
    /// says it is throttling this client: open fewer connections to it.</summary>
    public bool SaysTooBusy => Code is 421 || (Code is 452 && !Text.StartsWith("4.2.", StringComparison.Ordinal))
                               || (Code is >= 400 and < 500 && (TooManyConnections().IsMatch(Text) || SystemBusy().IsMatch(Text)));

    /// <summary>Refused for the number of connections or their rate, not for the message: another connection may send it.</summary>
    public bool SaysTooManyConnections => Code is >= 400 and < 500 && TooManyConnections().IsMatch(Text);

    public override string ToString() => $"{Code} {Text}";

    [GeneratedRegex(@"too many (concurrent |simultaneous )?(connections|sessions)|connection (rate )?limit|throttl", RegexOptions.IgnoreCase)]
    private static partial Regex TooManyConnections();

    [GeneratedRegex(@"^4\.3\.[12]\b|^4\.7\.0 .*(try again later|busy)", RegexOptions.IgnoreCase)]
    private static partial Regex SystemBusy();
}

/// <summary>What a relay offers in its EHLO reply.</summary>
[Flags]
public enum SmtpExtensions
{
    None = 0,
    Pipelining = 1,
    Chunking = 2,
    StartTls = 4,
    Size = 8,
    SmtpUtf8 = 16,
    AuthPlain = 32,
    AuthLogin = 64,
}

/// <summary>The relay broke the protocol (a reply that is not one, a reply out of step): the connection is dropped.</summary>
public sealed class SmtpProtocolException(string message) : IOException(message);

using System.Text.RegularExpressions;

namespace Dispatcher.Mail;

public enum SendResult
{
    /// <summary>The relay took it (2xx after DATA).</summary>
    Accepted,

    /// <summary>Temporary: 4xx, connection refused or dropped. Try again later.</summary>
    Retry,

    /// <summary>Permanent 5xx that is not about the mailbox existing.</summary>
    Failed,

    /// <summary>Permanent: the mailbox does not exist (5.1.1, "user unknown"). The address is marked bounced.</summary>
    Bounced,
}

/// <summary>What the relay said about one message.</summary>
public readonly partial record struct SendOutcome(SendResult Result, string Response, bool RelayUnavailable = false)
{
    public static SendOutcome Accepted(string response) => new(SendResult.Accepted, Trim(response));

    /// <summary>The relay could not be reached or dropped us (or said 421): no point trying more messages right now.</summary>
    public static SendOutcome Unavailable(string response) => new(SendResult.Retry, Trim(response), RelayUnavailable: true);

    /// <summary>Classifies a permanent or temporary SMTP reply to MAIL, RCPT or DATA.</summary>
    public static SendOutcome FromReply(int code, string text, bool aboutRecipient)
    {
        var response = Trim($"{code} {text}");
        if (code == 421) return new(SendResult.Retry, response, RelayUnavailable: true);
        if (code < 500) return new(SendResult.Retry, response);
        return aboutRecipient && MailboxDoesNotExist().IsMatch(text)
            ? new(SendResult.Bounced, response)
            : new(SendResult.Failed, response);
    }

    /// <summary>Whether a relay's or DSN's text says the mailbox does not exist (not full, not blocked: gone).</summary>
    public static bool MeansNoSuchMailbox(string text) => MailboxDoesNotExist().IsMatch(text);

    [GeneratedRegex(@"\b5\.1\.(1|10)\b|user unknown|unknown user|no such (user|mailbox|recipient)|does ?n[o']t exist|mailbox (not found|unavailable)|invalid (mailbox|recipient)|recipient not found|unknown recipient|address rejected", RegexOptions.IgnoreCase)]
    private static partial Regex MailboxDoesNotExist();

    private static string Trim(string text)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= 1000 ? text : text[..1000];
    }
}

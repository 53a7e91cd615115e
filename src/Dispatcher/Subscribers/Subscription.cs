using Dispatcher.Lists;

namespace Dispatcher.Subscribers;

public enum SubscriptionStatus
{
    Unconfirmed = 0,
    Confirmed = 1,
    Unsubscribed = 2,
    Bounced = 3,
    Complained = 4,
}

/// <summary>How a subscriber wants a list's statements.</summary>
public enum Cadence
{
    Immediate = 0,
    Daily = 1,
    Weekly = 2,
}

/// <summary>One person on one list, with how they want it.</summary>
public sealed class Subscription
{
    public long SubscriberId { get; set; }
    public Subscriber? Subscriber { get; set; }
    public int ListId { get; set; }
    public MailingList? List { get; set; }
    public SubscriptionStatus Status { get; set; }
    public Cadence Cadence { get; set; }

    /// <summary>Wants urgent solidarity alerts, whatever the cadence.</summary>
    public bool Alerts { get; set; } = true;

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? ConfirmedAt { get; set; }

    /// <summary>The newest statement id this subscription has had in a digest (or had no need of: set when it starts
    /// or switches to a digest cadence). The next digest holds the list's statements after it.</summary>
    public long DigestCursor { get; set; }

    /// <summary>When the last confirmation email was queued: a repeated sign-up within minutes does not mail again.</summary>
    public DateTime? ConfirmationSentAt { get; set; }

    /// <summary>When its list's welcome email was queued for them: it goes once, whatever happens after.</summary>
    public DateTime? WelcomedAt { get; set; }
    public DateTime? UnsubscribedAt { get; set; }
}

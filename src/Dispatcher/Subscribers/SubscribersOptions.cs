namespace Dispatcher.Subscribers;

/// <summary>The "Subscribers" section.</summary>
public sealed class SubscribersOptions
{
    public const string Section = "Subscribers";

    /// <summary>How long a confirmation link works.</summary>
    public TimeSpan ConfirmationExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A repeated sign-up within this time does not send another email (against mail-bombing through the form).</summary>
    public TimeSpan ConfirmationResendAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Sign-up form posts per minute from one IP address.</summary>
    public int SignUpsPerMinutePerClient { get; set; } = 10;
}

using Dispatcher.Mail;

namespace Dispatcher.Tests.Mail;

public sealed class SendOutcomeTests
{
    [Theory]
    [InlineData(550, "5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local recipient table", SendResult.Bounced)]
    [InlineData(550, "No such user here", SendResult.Bounced)]
    [InlineData(553, "5.1.10 Recipient address rejected", SendResult.Bounced)]
    [InlineData(554, "5.7.1 Service unavailable; client host blocked", SendResult.Failed)]
    [InlineData(552, "5.2.2 Mailbox full", SendResult.Failed)]
    [InlineData(450, "4.2.0 Greylisted, try again later", SendResult.Retry)]
    [InlineData(451, "4.3.0 Temporary lookup failure", SendResult.Retry)]
    [InlineData(421, "4.7.0 Too many connections", SendResult.Retry)]
    public void Relay_replies_about_a_recipient_are_classified(int code, string text, SendResult expected)
    {
        Assert.Equal(expected, SendOutcome.FromReply(code, text, aboutRecipient: true).Result);
    }

    [Fact]
    public void A_permanent_refusal_of_the_message_itself_is_a_failure_not_a_bounce()
    {
        Assert.Equal(SendResult.Failed, SendOutcome.FromReply(550, "5.1.1 user unknown", aboutRecipient: false).Result);
    }

    [Fact]
    public void A_421_means_the_relay_is_going_away()
    {
        Assert.True(SendOutcome.FromReply(421, "closing", aboutRecipient: false).RelayUnavailable);
        Assert.False(SendOutcome.FromReply(451, "later", aboutRecipient: true).RelayUnavailable);
    }
}

using System.Text;
using Dispatcher.Bounces;
using Dispatcher.Bounces.Mailbox;
using MimeKit;

namespace Dispatcher.Tests.Bounces;

/// <summary>The samples in tests/samples/bounces are as Postfix, Exim, Gmail, Microsoft 365, Yahoo and qmail write them.</summary>
public sealed class ReportParserTests
{
    private const string Verp = "bounces+41.0123456789ab@example.org";
    private const string MessageId = "d3.s41.ba9876543210@example.org";

    public static MimeMessage Sample(string name, string recipient = "ana@example.net")
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "bounces", name + ".eml"))
            .Replace("{{VERP}}", Verp).Replace("{{RCPT}}", recipient).Replace("{{MESSAGE_ID}}", MessageId)
            .Replace("{{BOUNCE}}", "bounces@example.org").Replace("{{SUBJECT}}", "Stop the repression of South Korean trade unionists");
        return MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));
    }

    [Theory]
    [InlineData("postfix-user-unknown", BounceKind.Hard, "5.1.1")]
    [InlineData("gmail-no-such-user", BounceKind.Hard, "5.1.1")]
    [InlineData("microsoft-recipient-rejected", BounceKind.Hard, "5.4.1 550 5.4.1 Recipient address rejected")]
    [InlineData("qmail-plain-bounce", BounceKind.Hard, "5.1.1")]
    [InlineData("exim-mailbox-full", BounceKind.Soft, "5.2.2")]
    public void Bounces_are_read_with_their_kind_and_reason(string sample, BounceKind kind, string reason)
    {
        var report = ReportParser.Parse(Sample(sample));

        Assert.Equal(ReportKind.Bounce, report.Kind);
        Assert.Equal(kind, report.Bounce);
        Assert.Contains(reason, report.Reason);
        Assert.Contains(Verp, report.Addresses);
    }

    [Theory]
    [InlineData("postfix-user-unknown")]
    [InlineData("gmail-no-such-user")]
    [InlineData("microsoft-recipient-rejected")]
    [InlineData("exim-mailbox-full")]
    [InlineData("yahoo-arf-complaint")]
    [InlineData("microsoft-jmrp-complaint")]
    public void The_original_message_id_is_found_where_the_report_quotes_it(string sample)
    {
        Assert.Contains(MessageId, ReportParser.Parse(Sample(sample)).MessageIds);
    }

    [Theory]
    [InlineData("yahoo-arf-complaint", "Yahoo!-Mail-Feedback")]
    [InlineData("microsoft-jmrp-complaint", "Microsoft JMRP")]
    public void Feedback_reports_are_complaints(string sample, string agent)
    {
        var report = ReportParser.Parse(Sample(sample));

        Assert.Equal(ReportKind.Complaint, report.Kind);
        Assert.Equal(BounceKind.Complaint, report.Bounce);
        Assert.Contains(agent, report.Reason);
    }

    [Fact]
    public void The_verp_address_of_a_complaint_comes_from_original_mail_from()
    {
        Assert.Contains(Verp, ReportParser.Parse(Sample("yahoo-arf-complaint")).Addresses);
    }

    [Theory]
    [InlineData("postfix-delayed")]
    [InlineData("out-of-office")]
    public void Delays_and_automatic_replies_are_not_bounces(string sample)
    {
        Assert.Equal(ReportKind.Ignore, ReportParser.Parse(Sample(sample)).Kind);
    }

    [Fact]
    public void A_persons_reply_is_unknown_and_kept_for_a_person()
    {
        Assert.Equal(ReportKind.Unknown, ReportParser.Parse(Sample("human-reply")).Kind);
    }

    [Theory]
    [InlineData("unsubscribe AQAAAAAAAAAAAAAAAQAAAAA7UhebZHbhXFqwRDvmrrMJ")]
    [InlineData("Re: Unsubscribe AQAAAAAAAAAAAAAAAQAAAAA7UhebZHbhXFqwRDvmrrMJ ")]
    public void A_mailto_unsubscribe_carries_its_token(string subject)
    {
        var message = new MimeMessage { Subject = subject };
        message.To.Add(MailboxAddress.Parse("bounces@example.org"));
        var report = ReportParser.Parse(message);

        Assert.Equal(ReportKind.Unsubscribe, report.Kind);
        Assert.Equal("AQAAAAAAAAAAAAAAAQAAAAA7UhebZHbhXFqwRDvmrrMJ", report.Token);
    }

    [Theory]
    [InlineData("5.1.1", "", BounceKind.Hard)]
    [InlineData("5.1.10", "", BounceKind.Hard)]
    [InlineData("5.2.1", "mailbox disabled", BounceKind.Hard)]
    [InlineData("5.0.0", "550 No such user here", BounceKind.Hard)]
    [InlineData("5.2.2", "552 Mailbox full", BounceKind.Soft)]
    [InlineData("5.7.1", "550 Message rejected as spam", BounceKind.Soft)]
    [InlineData("4.4.7", "Message expired", BounceKind.Soft)]
    public void Status_codes_are_classified(string status, string diagnostic, BounceKind expected)
    {
        Assert.Equal(expected, ReportParser.Classify(status, diagnostic));
    }
}

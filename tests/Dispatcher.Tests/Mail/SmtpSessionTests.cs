using System.Text;
using Dispatcher.Mail;
using Dispatcher.Mail.Smtp;

namespace Dispatcher.Tests.Mail;

/// <summary>The wire order of Dispatcher's SMTP client against a scripted server: what goes in one round trip, and which
/// job each reply answers.</summary>
public sealed class SmtpSessionTests
{
    private static readonly string[] Chunking = ["PIPELINING", "CHUNKING", "8BITMIME"];
    private static readonly string[] PipeliningOnly = ["PIPELINING", "8BITMIME"];

    [Fact]
    public async Task With_PIPELINING_and_CHUNKING_each_message_is_one_group_MAIL_RCPT_BDAT_and_its_bytes()
    {
        await using var relay = new ScriptedRelay(Chunking);
        var source = new Jobs(Job("a@example.org"), Job("b@example.org"), Job("c@example.org"));

        await SendAllAsync(relay, source);

        Assert.Equal(["a@example.org", "b@example.org", "c@example.org"], source.Accepted);
        var messages = relay.Groups.Skip(1).SkipLast(1).ToList(); // EHLO first, QUIT last
        Assert.Equal(3, messages.Count);
        Assert.All(messages, g => Assert.Equal(["MAIL", "RCPT", "BDAT"], g.Select(Verb)));
        Assert.Equal(3, source.RoundTrips);
        Assert.Equal(source.Bodies, relay.Messages.Select(m => m.Data));
    }

    [Fact]
    public async Task With_PIPELINING_alone_a_message_s_data_goes_with_the_next_message_s_envelope_and_DATA()
    {
        await using var relay = new ScriptedRelay(PipeliningOnly);
        var source = new Jobs(Job("a@example.org"), Job("b@example.org"), Job("c@example.org"));

        await SendAllAsync(relay, source);

        Assert.Equal(["a@example.org", "b@example.org", "c@example.org"], source.Accepted);
        var groups = relay.Groups.Skip(1).SkipLast(1).Select(g => string.Join(" ", g.Select(Verb))).ToList();
        Assert.Equal(["MAIL RCPT DATA", "<data> MAIL RCPT DATA", "<data> MAIL RCPT DATA", "<data>"], groups);
        Assert.Equal(4, source.RoundTrips); // n + 1 for n messages in a row
        Assert.Equal(source.Bodies, relay.Messages.Select(m => m.Data));
    }

    [Fact]
    public async Task Without_PIPELINING_every_command_waits_for_its_reply()
    {
        await using var relay = new ScriptedRelay(["8BITMIME"]);
        var source = new Jobs(Job("a@example.org"), Job("b@example.org"));

        await SendAllAsync(relay, source);

        Assert.Equal(["a@example.org", "b@example.org"], source.Accepted);
        Assert.All(relay.Groups, g => Assert.Single(g));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_recipient_refused_in_the_middle_of_a_pipeline_fails_that_person_only(bool chunking)
    {
        await using var relay = new ScriptedRelay(chunking ? Chunking : PipeliningOnly,
            command => command.Contains("<gone@example.org>") ? "550 5.1.1 <gone@example.org>: user unknown" : null);
        var source = new Jobs(Job("a@example.org"), Job("gone@example.org"), Job("c@example.org"), Job("d@example.org"));

        await SendAllAsync(relay, source);

        Assert.Equal(["a@example.org", "c@example.org", "d@example.org"], source.Accepted);
        var gone = Assert.Single(source.Outcomes, o => o.Job.Recipient == "gone@example.org").Outcome;
        Assert.Equal(SendResult.Bounced, gone.Result);
        Assert.Contains("user unknown", gone.Response);
        Assert.Equal(["a@example.org", "c@example.org", "d@example.org"], relay.Messages.Select(m => m.Recipient));
        // The refused transaction is reset in the same group as the next message, not in a round trip of its own.
        Assert.Contains(relay.Groups, g => g.Select(Verb).Take(2).SequenceEqual(["RSET", "MAIL"]));
        Assert.DoesNotContain(relay.Groups, g => g.Count == 1 && Verb(g[0]) == "RSET");
    }

    [Fact]
    public async Task A_relay_that_says_go_ahead_to_DATA_for_nobody_is_left_at_once_and_gets_no_message()
    {
        await using var relay = new ScriptedRelay(PipeliningOnly,
            command => command.Contains("<gone@example.org>") ? "550 5.1.1 user unknown" : command == "DATA" ? "354 go ahead" : null);
        var source = new Jobs(Job("gone@example.org"), Job("b@example.org"));
        await using var session = await OpenAsync(relay);

        await Assert.ThrowsAsync<SmtpProtocolException>(() => session.SendAsync(source));

        Assert.Equal(SendResult.Bounced, Assert.Single(source.Outcomes).Outcome.Result);
        Assert.Empty(relay.Messages);
        Assert.Equal(0, relay.RawData.Length);
    }

    [Fact]
    public async Task Lines_that_begin_with_a_dot_are_stuffed_and_bare_line_ends_become_CRLF()
    {
        await using var relay = new ScriptedRelay(PipeliningOnly);
        const string body = "Subject: dots\r\n\r\n.hidden\r\nbare\nlf\r\n.\r\nsmuggled\rcr";
        var source = new Jobs(Job("a@example.org", body));

        await SendAllAsync(relay, source);

        Assert.Equal(["a@example.org"], source.Accepted);
        // Nothing a server could read as the end of data slips through: the bare LF before "." became CRLF and the dot doubled.
        Assert.Equal("Subject: dots\r\n\r\n..hidden\r\nbare\r\nlf\r\n..\r\nsmuggled\r\ncr\r\n", relay.RawData.ToString());
        Assert.Equal("Subject: dots\r\n\r\n.hidden\r\nbare\r\nlf\r\n.\r\nsmuggled\r\ncr\r\n", Assert.Single(relay.Messages).Data);
    }

    [Fact]
    public async Task BDAT_sends_the_bytes_as_they_are()
    {
        await using var relay = new ScriptedRelay(Chunking);
        const string body = "Subject: dots\r\n\r\n.hidden\r\n";
        var source = new Jobs(Job("a@example.org", body));

        await SendAllAsync(relay, source);

        Assert.Equal(body, Assert.Single(relay.Messages).Data);
    }

    [Fact]
    public async Task A_message_larger_than_the_relay_s_SIZE_fails_without_being_sent()
    {
        await using var relay = new ScriptedRelay(["PIPELINING", "SIZE 100"]);
        var source = new Jobs(Job("big@example.org", "Subject: big\r\n\r\n" + new string('x', 200) + "\r\n"), Job("a@example.org"));

        await SendAllAsync(relay, source);

        var big = Assert.Single(source.Outcomes, o => o.Job.Recipient == "big@example.org").Outcome;
        Assert.Equal(SendResult.Failed, big.Result);
        Assert.Contains("SIZE 100", big.Response);
        Assert.Equal(["a@example.org"], relay.Messages.Select(m => m.Recipient));
        Assert.Contains(relay.Groups.SelectMany(g => g), c => c.StartsWith("MAIL FROM:<bounce@example.org> SIZE=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("a@example.org>\r\nRCPT TO:<victim@example.org")]
    [InlineData("a b@example.org")]
    [InlineData("")]
    public async Task An_address_that_would_change_the_command_is_refused_before_anything_is_sent(string recipient)
    {
        await using var relay = new ScriptedRelay(Chunking);
        var source = new Jobs(Job(recipient), Job("a@example.org"));

        await SendAllAsync(relay, source);

        var refused = Assert.Single(source.Outcomes, o => o.Job.Recipient == recipient).Outcome;
        Assert.NotEqual(SendResult.Accepted, refused.Result);
        Assert.DoesNotContain(relay.Groups.SelectMany(g => g), c => c.Contains("victim"));
        Assert.Equal(["a@example.org"], relay.Messages.Select(m => m.Recipient));
    }

    [Fact]
    public async Task An_internationalised_domain_goes_as_punycode()
    {
        await using var relay = new ScriptedRelay(Chunking);
        var source = new Jobs(Job("ayşe@örnek.example"));

        await SendAllAsync(relay, source);

        // Without SMTPUTF8 a non-ASCII local part cannot be sent; the domain alone could.
        Assert.NotEqual(SendResult.Accepted, Assert.Single(source.Outcomes).Outcome.Result);
        await using var relay2 = new ScriptedRelay(Chunking);
        var source2 = new Jobs(Job("ayse@örnek.example"));
        await SendAllAsync(relay2, source2);
        Assert.Equal(["ayse@örnek.example"], source2.Accepted);
        Assert.Contains(relay2.Groups.SelectMany(g => g), c => c == "RCPT TO:<ayse@xn--rnek-4qa.example>");
    }

    [Fact]
    public async Task A_relay_too_busy_for_the_message_gets_it_back_unsent_and_the_connection_ends()
    {
        await using var relay = new ScriptedRelay(Chunking,
            command => command.StartsWith("MAIL", StringComparison.Ordinal) ? "421 4.7.0 too many connections from your host" : null);
        var source = new Jobs(Job("a@example.org"));
        await using var session = await OpenAsync(relay);

        await Assert.ThrowsAsync<RelayBusyException>(() => session.SendAsync(source));

        Assert.Empty(source.Outcomes);
        Assert.Equal(["a@example.org"], source.GivenBack.Select(j => j.Recipient));
    }

    [Fact]
    public async Task A_relay_closing_the_channel_on_a_message_answers_it_as_unavailable_and_the_connection_ends()
    {
        await using var relay = new ScriptedRelay(PipeliningOnly,
            command => command.StartsWith("MAIL", StringComparison.Ordinal) ? "421 4.3.2 Service not available, closing channel" : null);
        var source = new Jobs(Job("a@example.org"));
        await using var session = await OpenAsync(relay);

        await Assert.ThrowsAsync<RelayBusyException>(() => session.SendAsync(source));

        var outcome = Assert.Single(source.Outcomes).Outcome;
        Assert.Equal(SendResult.Retry, outcome.Result);
        Assert.True(outcome.RelayUnavailable);
        Assert.Empty(source.GivenBack);
    }

    [Fact]
    public async Task A_connection_dropped_after_the_data_and_before_its_answer_is_in_doubt_not_resent_as_new()
    {
        await using var relay = new ScriptedRelay(Chunking) { CloseAfterMessages = 1 };
        var first = Job("a@example.org");
        var second = Job("b@example.org");
        second.Returned = 1; // given back once already: a second silent close cannot be assumed harmless
        var source = new Jobs(first, second);
        await using var session = await OpenAsync(relay);

        await Assert.ThrowsAnyAsync<IOException>(() => session.SendAsync(source));

        Assert.Equal(["a@example.org"], source.Accepted);
        var inDoubt = Assert.Single(source.Outcomes, o => o.Job == second).Outcome;
        Assert.Equal(SendResult.Retry, inDoubt.Result);
        Assert.Empty(source.GivenBack);
    }

    [Fact]
    public async Task A_connection_the_relay_closed_silently_gives_its_first_message_back_once()
    {
        await using var relay = new ScriptedRelay(Chunking) { CloseAfterMessages = 0 };
        var job = Job("a@example.org");
        var source = new Jobs(job);
        await using var session = await OpenAsync(relay);

        await Assert.ThrowsAnyAsync<IOException>(() => session.SendAsync(source));

        Assert.Empty(source.Outcomes);
        Assert.Equal([job], source.GivenBack);
    }

    /// <summary>A worker paused (SIGSTOP, a frozen VM) while it built the next message may have been declared dead
    /// meanwhile and its people given to another worker: the message whose data was about to go is asked about again
    /// right before its last bytes leave, and nothing of it is delivered.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_message_lost_to_another_worker_while_the_next_was_built_is_not_delivered(bool chunking)
    {
        await using var relay = new ScriptedRelay(chunking ? Chunking : PipeliningOnly);
        var lease = new Lease();
        var a = Job("a@example.org", lease);
        var b = Job("b@example.org", lease, onWritten: lease.Lose);
        var source = new Jobs(a, b);

        await using (var session = await OpenAsync(relay))
        {
            if (chunking) await session.SendAsync(source); // a went before b was built; b, built, is dropped unsent
            else await Assert.ThrowsAsync<SmtpMessageWithdrawnException>(() => session.SendAsync(source)); // a's 354 was in
        }
        await relay.Served.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(chunking ? ["a@example.org"] : [], relay.Messages.Select(m => m.Recipient));
        Assert.Equal(chunking ? ["a@example.org"] : [], source.Accepted);
        Assert.Equal(chunking ? [] : [b], source.GivenBack); // its envelope was dropped with a's data: it asks again elsewhere
    }

    [Fact]
    public async Task Without_PIPELINING_a_message_lost_during_DATA_s_round_trip_is_not_delivered()
    {
        var lease = new Lease();
        await using var relay = new ScriptedRelay(["8BITMIME"], command =>
        {
            if (command == "DATA") lease.Lose();
            return null;
        });
        var source = new Jobs(Job("a@example.org", lease));

        await using (var session = await OpenAsync(relay))
            await Assert.ThrowsAsync<SmtpMessageWithdrawnException>(() => session.SendAsync(source));
        await relay.Served.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(relay.Messages);
        Assert.Empty(source.Outcomes); // the job recorded why itself
        Assert.Empty(source.GivenBack);
    }

    [Theory]
    [InlineData("AUTH PLAIN LOGIN", "AUTH PLAIN")]
    [InlineData("AUTH LOGIN", "AUTH LOGIN")]
    public async Task It_logs_in_with_the_relay_s_mechanism(string offered, string used)
    {
        await using var relay = new ScriptedRelay(["PIPELINING", offered]) { Login = ("dispatcher", "s3cret pass") };
        var source = new Jobs(Job("a@example.org"));

        await using (var session = await SmtpSession.OpenAsync(relay.Relay(username: "dispatcher", password: "s3cret pass"), "dispatcher.test",
                         TimeSpan.FromSeconds(10), pipeline: true, CancellationToken.None))
            await session.SendAsync(source);
        await relay.Served.WaitAsync(TimeSpan.FromSeconds(10)); // the server has recorded all it was sent

        Assert.Equal(["a@example.org"], source.Accepted);
        Assert.Contains(relay.Groups.SelectMany(g => g), c => c.StartsWith(used, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_refused_login_names_the_setting()
    {
        await using var relay = new ScriptedRelay(["PIPELINING", "AUTH PLAIN"]) { Login = ("dispatcher", "right") };

        var e = await Assert.ThrowsAsync<RelayUnavailableException>(() => SmtpSession.OpenAsync(
            relay.Relay(username: "dispatcher", password: "wrong"), "dispatcher.test", TimeSpan.FromSeconds(10), pipeline: true, CancellationToken.None));

        Assert.Contains("Smtp:Username", e.Message);
        Assert.Contains("535", e.Message);
    }

    [Fact]
    public async Task A_password_is_not_sent_in_the_clear_unless_Security_is_None()
    {
        await using var relay = new ScriptedRelay(["PIPELINING", "AUTH PLAIN"]) { Login = ("dispatcher", "s3cret") };

        var e = await Assert.ThrowsAsync<RelayUnavailableException>(() => SmtpSession.OpenAsync(
            relay.Relay(security: SmtpSecurity.Auto, username: "dispatcher", password: "s3cret"), "dispatcher.test", TimeSpan.FromSeconds(10),
            pipeline: true, CancellationToken.None));

        Assert.Contains("in the clear", e.Message);
        Assert.Contains("Smtp:Security=None", e.Message);
        await relay.Served.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(relay.Groups.SelectMany(g => g), c => c.StartsWith("AUTH", StringComparison.Ordinal));
    }

    private static string Verb(string command) => command == "<data>" ? command : command.Split(' ', ':')[0];

    private static TestJob Job(string recipient, string? body = null) =>
        new(recipient, body ?? $"From: news@example.org\r\nTo: {recipient}\r\nSubject: hello\r\n\r\nHello {recipient}.\r\n");

    private static TestJob Job(string recipient, Lease lease, Action? onWritten = null) =>
        new(recipient, $"From: news@example.org\r\nTo: {recipient}\r\nSubject: hello\r\n\r\nHello {recipient}.\r\n") { Lease = lease, OnWritten = onWritten };

    /// <summary>Whether the worker still holds the people (a batch's lease), as a job asks it.</summary>
    internal sealed class Lease
    {
        public bool Held { get; private set; } = true;

        public void Lose() => Held = false;
    }

    private static Task<SmtpSession> OpenAsync(ScriptedRelay relay) =>
        SmtpSession.OpenAsync(relay.Relay(), "dispatcher.test", TimeSpan.FromSeconds(10), pipeline: true, CancellationToken.None);

    private static async Task SendAllAsync(ScriptedRelay relay, Jobs source)
    {
        await using (var session = await OpenAsync(relay)) await session.SendAsync(source);
        // The server has answered QUIT and recorded everything: reading Groups before would race its writes.
        await relay.Served.WaitAsync(TimeSpan.FromSeconds(10));
    }


    internal sealed class TestJob(string recipient, string body) : MailJob
    {
        public string Body => body;
        public override Lane Lane => Lane.Bulk;
        public override string Sender => "bounce@example.org";
        public override string Recipient => recipient;

        public Lease? Lease { get; init; }

        /// <summary>Runs once its message is built (as if the process were paused right then).</summary>
        public Action? OnWritten { get; init; }

        public override ValueTask<bool> WriteAsync(Stream output)
        {
            // As a batch's job does: the lease first.
            if (!StillToSend()) return ValueTask.FromResult(false);
            output.Write(Encoding.UTF8.GetBytes(body));
            OnWritten?.Invoke();
            return ValueTask.FromResult(true);
        }

        public override bool StillToSend() => Lease?.Held ?? true;

        protected override void OnCompleted(SendOutcome outcome)
        {
        }
    }

    /// <summary>Gives the session its jobs in order, as a connection's queue would, and records what became of each.</summary>
    internal sealed class Jobs(params TestJob[] jobs) : IMailJobSource
    {
        private readonly Queue<TestJob> _waiting = new(jobs);

        public List<(TestJob Job, SendOutcome Outcome)> Outcomes { get; } = [];
        public List<TestJob> GivenBack { get; } = [];
        public int RoundTrips { get; private set; }

        public IEnumerable<string> Accepted => Outcomes.Where(o => o.Outcome.Result == SendResult.Accepted).Select(o => o.Job.Recipient);

        public IEnumerable<string> Bodies => jobs.Where(j => Accepted.Contains(j.Recipient)).Select(j => j.Body);

        public ValueTask<MailJob?> NextAsync(bool wait)
        {
            if (!_waiting.TryDequeue(out var job)) return ValueTask.FromResult<MailJob?>(null);
            Assert.True(job.TryTake());
            return ValueTask.FromResult<MailJob?>(job);
        }

        public void GiveBack(MailJob job) => GivenBack.Add((TestJob)job);

        public void Done(MailJob job, SendOutcome outcome, TimeSpan took) => Outcomes.Add(((TestJob)job, outcome));

        public void RoundTrip() => RoundTrips++;
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Dispatcher.Metrics;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Dispatcher.Tests.Mail;

/// <summary>MailKit through RelayStream with DATA pipelined, against a scripted relay on loopback: DATA leaves with the
/// envelope, MailKit still sees every reply as its own, a refused recipient is a bounce and the connection goes on, and a
/// relay that says go ahead to a DATA for nobody gets no message; and the pool turns it on for a relay that offers
/// PIPELINING unless Smtp:PipelineData is off.</summary>
public sealed class RelayStreamPipeliningTests
{
    [Fact]
    public async Task DATA_leaves_with_MAIL_and_RCPT_and_every_message_arrives()
    {
        await using var relay = ScriptedRelay.Start();
        using var client = Connect(relay, pipelineData: true);

        for (var i = 0; i < 3; i++) client.Send(Message($"reader{i}@example.org"));

        Assert.Equal(["reader0@example.org", "reader1@example.org", "reader2@example.org"], relay.Delivered);
        Assert.Equal(3, relay.EnvelopesWithData); // MAIL FROM, RCPT TO and DATA came in one read
    }

    [Fact]
    public async Task Without_it_DATA_waits_for_the_replies_to_the_envelope()
    {
        await using var relay = ScriptedRelay.Start();
        using var client = Connect(relay, pipelineData: false);

        client.Send(Message("reader@example.org"));

        Assert.Equal(["reader@example.org"], relay.Delivered);
        Assert.Equal(0, relay.EnvelopesWithData);
    }

    [Fact]
    public async Task A_refused_recipient_is_MailKit_s_refusal_and_the_next_message_goes_on_the_same_connection()
    {
        await using var relay = ScriptedRelay.Start();
        using var client = Connect(relay, pipelineData: true);

        var refused = Assert.Throws<SmtpCommandException>(() => client.Send(Message("gone@example.org")));
        client.Send(Message("reader@example.org"));

        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        Assert.Equal(SmtpStatusCode.MailboxUnavailable, refused.StatusCode);
        Assert.Equal(["reader@example.org"], relay.Delivered); // the relay takes one connection only
    }

    [Fact]
    public async Task A_relay_that_says_go_ahead_to_a_DATA_for_nobody_is_left_at_once_and_gets_no_message()
    {
        await using var relay = ScriptedRelay.Start(goAheadForNobody: true);
        using var client = Connect(relay, pipelineData: true, timeoutMs: 60_000);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var refused = Assert.Throws<SmtpCommandException>(() => client.Send(Message("gone@example.org")));

        // The refusal is still MailKit's answer; the RSET it sends next would have gone into the message, and its reply
        // never come: the stream closes the connection instead of leaving MailKit to wait out its timeout.
        Assert.Equal(SmtpErrorCode.RecipientNotAccepted, refused.ErrorCode);
        Assert.False(client.IsConnected);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}: waited for the relay's timeout");
        await relay.WaitForDisconnectAsync();
        Assert.Empty(relay.Delivered);
        Assert.Equal(0, relay.EmptyMessages);
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 0)]
    public async Task The_pool_pipelines_DATA_to_a_relay_that_offers_PIPELINING_unless_Smtp_PipelineData_is_off(bool pipelineData, int envelopesWithData)
    {
        await using var relay = ScriptedRelay.Start();
        var smtp = Options.Create(new SmtpOptions { Host = "127.0.0.1", Port = relay.Port, Security = SmtpSecurity.None, PipelineData = pipelineData });
        using var relays = new RelaySet(smtp);
        await using var pool = new SmtpConnectionPool(smtp, Options.Create(new MailOptions()), relays, new DispatcherMetrics(), NullLogger<SmtpConnectionPool>.Instance);

        using (var connection = await pool.RentAsync(Lane.Bulk, CancellationToken.None))
            foreach (var to in new[] { "reader1@example.org", "reader2@example.org" })
                Assert.Equal(SendResult.Accepted, connection.Send(Message(to), MailboxAddress.Parse("bounces@example.org"), MailboxAddress.Parse(to), CancellationToken.None).Result);

        Assert.Equal(["reader1@example.org", "reader2@example.org"], relay.Delivered);
        Assert.Equal(envelopesWithData, relay.EnvelopesWithData);
    }

    private static SmtpClient Connect(ScriptedRelay relay, bool pipelineData, int timeoutMs = 5_000)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(IPAddress.Loopback, relay.Port);
        var stream = new RelayStream(socket);
        var client = new SmtpClient { Timeout = timeoutMs };
        client.Connect(stream, "localhost", relay.Port, SecureSocketOptions.None);
        stream.PipelinesData = pipelineData;
        return client;
    }

    private static MimeMessage Message(string to)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("news@example.org"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = "Stop the repression of South Korean trade unionists";
        message.Body = new TextPart("plain") { Text = "On 14 November 2015, about 100,000 people took to the streets of Seoul.\n.\nA line with a dot." };
        return message;
    }

    /// <summary>A relay that answers line by line as postfix does: PIPELINING offered, gone@ refused at RCPT, DATA refused
    /// when no recipient was taken (or, with goAheadForNobody, answered 354 regardless).</summary>
    private sealed class ScriptedRelay : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _serving;
        private readonly bool _goAheadForNobody;
        private readonly List<string> _delivered = [];
        private readonly TaskCompletionSource _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private ScriptedRelay(bool goAheadForNobody)
        {
            _goAheadForNobody = goAheadForNobody;
            _listener.Start();
            _serving = Task.Run(ServeAsync);
        }

        public static ScriptedRelay Start(bool goAheadForNobody = false) => new(goAheadForNobody);

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int EnvelopesWithData { get; private set; }
        public int EmptyMessages { get; private set; }

        public List<string> Delivered
        {
            get { lock (_delivered) return [.. _delivered]; }
        }

        public Task WaitForDisconnectAsync() => _disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));

        private async Task ServeAsync()
        {
            using var socket = await _listener.AcceptSocketAsync();
            var pending = new StringBuilder();
            var buffer = new byte[8192];
            string? recipient = null;
            var inData = false;
            var body = new StringBuilder();
            Send(socket, "220 relay.example.org ESMTP\r\n");
            try
            {
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer);
                    if (read == 0) return;
                    pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    var text = pending.ToString();
                    var lines = text[..(text.LastIndexOf('\n') + 1)].Split("\r\n")[..^1];
                    pending.Remove(0, text.LastIndexOf('\n') + 1);
                    if (!inData && lines.Any(l => l.StartsWith("MAIL FROM:")) && lines.Contains("DATA")) EnvelopesWithData++;
                    foreach (var line in lines)
                    {
                        if (inData)
                        {
                            if (line != ".") { body.AppendLine(line); continue; }
                            inData = false;
                            if (recipient is null) EmptyMessages++;
                            else lock (_delivered) _delivered.Add(recipient);
                            body.Clear();
                            Send(socket, "250 2.0.0 Ok: queued\r\n");
                            continue;
                        }
                        var reply = line switch
                        {
                            _ when line.StartsWith("EHLO") => "250-relay.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
                            _ when line.StartsWith("MAIL FROM:") => Reset(ref recipient, "250 2.1.0 Ok\r\n"),
                            _ when line.StartsWith("RCPT TO:<gone@") => "550 5.1.1 <gone@example.org>: Recipient address rejected\r\n",
                            _ when line.StartsWith("RCPT TO:") => Accept(ref recipient, line, "250 2.1.5 Ok\r\n"),
                            "DATA" when recipient is not null || _goAheadForNobody => GoAhead(ref inData),
                            "DATA" => "554 5.5.1 Error: no valid recipients\r\n",
                            "RSET" => Reset(ref recipient, "250 2.0.0 Ok\r\n"),
                            "QUIT" => "221 2.0.0 Bye\r\n",
                            _ => "502 5.5.2 Error: command not recognized\r\n",
                        };
                        Send(socket, reply);
                    }
                }
            }
            catch (SocketException)
            {
            }
            finally
            {
                _disconnected.TrySetResult();
            }
        }

        private static string Reset(ref string? recipient, string reply)
        {
            recipient = null;
            return reply;
        }

        private static string Accept(ref string? recipient, string line, string reply)
        {
            recipient = line["RCPT TO:<".Length..line.IndexOf('>')];
            return reply;
        }

        private static string GoAhead(ref bool inData)
        {
            inData = true;
            return "354 End data with <CR><LF>.<CR><LF>\r\n";
        }

        private static void Send(Socket socket, string reply) => socket.Send(Encoding.ASCII.GetBytes(reply));

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _serving.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}

using System.Buffers;
using System.Net.Sockets;
using System.Text;
using MailKit.Security;

namespace Dispatcher.Mail.Smtp;

/// <summary>Where a connection's messages come from, and where their answers go.</summary>
internal interface IMailJobSource
{
    /// <summary>The next job for this connection. Waiting: until one comes, or null when the connection should close or
    /// idle; not waiting: one ready now, or null.</summary>
    ValueTask<MailJob?> NextAsync(bool wait);

    /// <summary>A job this connection could not send and that went nowhere: for another connection.</summary>
    void GiveBack(MailJob job);

    /// <summary>The relay's answer for a job, and how long after its bytes left it came.</summary>
    void Done(MailJob job, SendOutcome outcome, TimeSpan took);

    /// <summary>The connection sent what it held and now waits for replies.</summary>
    void RoundTrip();
}

/// <summary>The relay refused this connection, or a message on it, because it is too busy for this client (421, 452,
/// "too many connections"): fewer connections to it for a while.</summary>
public sealed class RelayBusyException(string message) : IOException(message);

/// <summary>One open SMTP connection to a relay, after EHLO, STARTTLS and AUTH as configured; it sends whatever its
/// <see cref="IMailJobSource"/> gives it, one round trip per message where the relay allows (docs/adr/0009).</summary>
/// <remarks><para>With PIPELINING and CHUNKING a message is MAIL FROM, RCPT TO and <c>BDAT n LAST</c> with its bytes in one
/// write, and the three replies come back together. With PIPELINING alone, MAIL FROM, RCPT TO and DATA go together; once
/// the 354 is in, the message's data, its final dot and the next message's MAIL FROM, RCPT TO and DATA go together
/// (RFC 2920 allows message data first in a group and DATA last). Without PIPELINING, one command at a time.</para>
/// <para>Each reply belongs to the job whose command it answers, so a refused recipient fails that person only. A job
/// whose bytes went out and whose answer never came is in doubt and reported as a temporary failure (it may have been
/// delivered: the one message that can repeat); a job whose data never went out is given back for another connection.</para></remarks>
internal sealed class SmtpSession : IAsyncDisposable
{
    private readonly SmtpWire _wire;
    private readonly MemoryStream _message = new();
    private SmtpExtensions _extensions;
    private long _maxSize;
    private bool _needsReset;

    private SmtpSession(Relay relay, SmtpWire wire)
    {
        Relay = relay;
        _wire = wire;
    }

    public Relay Relay { get; }

    public bool IsSecure => _wire.IsSecure;

    public SmtpExtensions Extensions => _extensions;

    /// <summary>Whether PIPELINING may be used (Smtp:PipelineData, and the relay offers it).</summary>
    public bool Pipelines { get; private set; }

    /// <summary>Connects, reads the greeting, says EHLO, starts TLS and logs in as the relay's settings say.</summary>
    /// <exception cref="RelayUnavailableException">The relay cannot be reached or refused us; <see cref="RelayBusyException"/>
    /// inside when it said it is too busy.</exception>
    public static async Task<SmtpSession> OpenAsync(Relay relay, string localDomain, TimeSpan timeout, bool pipeline, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        SmtpWire? wire = null;
        try
        {
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connecting.CancelAfter(timeout);
                try
                {
                    await socket.ConnectAsync(relay.Host, relay.Port, connecting.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"no connection within {timeout.TotalSeconds:0} s");
                }
            }
            wire = new SmtpWire(socket, new NetworkStream(socket, ownsSocket: false), timeout);
            if (relay.Security == SecureSocketOptions.SslOnConnect || (relay.Security == SecureSocketOptions.Auto && relay.Port == 465))
                await wire.StartTlsAsync(relay.Host, relay.TrustsCertificate);
            var session = new SmtpSession(relay, wire);
            await session.GreetAsync(localDomain);
            session.Pipelines = pipeline && session._extensions.HasFlag(SmtpExtensions.Pipelining);
            return session;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (wire is not null) await wire.DisposeAsync();
            else socket.Dispose();
            throw e as RelayUnavailableException ?? new RelayUnavailableException($"Cannot reach the SMTP relay at {relay}: {e.Message}", e);
        }
    }

    private async Task GreetAsync(string localDomain)
    {
        var greeting = await _wire.ReadReplyAsync();
        if (greeting.Code != 220) throw Refused("greeting", greeting);
        await HelloAsync(localDomain);
        var wantsTls = Relay.Security == SecureSocketOptions.StartTls
                       || (Relay.Security is SecureSocketOptions.Auto or SecureSocketOptions.StartTlsWhenAvailable && _extensions.HasFlag(SmtpExtensions.StartTls));
        if (!_wire.IsSecure && wantsTls)
        {
            if (!_extensions.HasFlag(SmtpExtensions.StartTls))
                throw new RelayUnavailableException($"The SMTP relay at {Relay} does not offer STARTTLS, which Smtp:Security=StartTls requires");
            var ready = await _wire.CommandAsync("STARTTLS");
            if (ready.Code != 220) throw Refused("STARTTLS", ready);
            await _wire.StartTlsAsync(Relay.Host, Relay.TrustsCertificate);
            await HelloAsync(localDomain);
        }
        if (!string.IsNullOrEmpty(Relay.Options.Username))
        {
            // A password in the clear is readable by anyone on the path; only an operator who said Security=None (a relay
            // on the same host or a private network) gets that.
            if (!_wire.IsSecure && Relay.Security != SecureSocketOptions.None)
                throw new RelayUnavailableException($"The SMTP relay at {Relay} offers no STARTTLS, so Smtp:Password would cross the network in the clear: " +
                                                    "Dispatcher did not log in. Use a relay that offers TLS, or set Smtp:Security=None to send it in the clear");
            await LogInAsync(Relay.Options.Username, Relay.Options.Password ?? "");
        }
    }

    private async Task HelloAsync(string localDomain)
    {
        var lines = new List<string>();
        _wire.Command($"EHLO {localDomain}");
        await _wire.FlushAsync();
        var hello = await _wire.ReadReplyAsync(lines);
        if (!hello.IsPositive)
        {
            // An old relay without ESMTP: HELO, and none of the extensions.
            var helo = await _wire.CommandAsync($"HELO {localDomain}");
            if (!helo.IsPositive) throw Refused("HELO", helo);
            _extensions = SmtpExtensions.None;
            return;
        }
        _extensions = SmtpExtensions.None;
        foreach (var line in lines.Skip(1))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            switch (words[0].ToUpperInvariant())
            {
                case "PIPELINING": _extensions |= SmtpExtensions.Pipelining; break;
                case "CHUNKING": _extensions |= SmtpExtensions.Chunking; break;
                case "STARTTLS": _extensions |= SmtpExtensions.StartTls; break;
                case "SMTPUTF8": _extensions |= SmtpExtensions.SmtpUtf8; break;
                case "SIZE":
                    _extensions |= SmtpExtensions.Size;
                    _maxSize = words.Length > 1 && long.TryParse(words[1], out var size) ? size : 0;
                    break;
                case "AUTH":
                    foreach (var mechanism in words.Skip(1))
                        if (mechanism.Equals("PLAIN", StringComparison.OrdinalIgnoreCase)) _extensions |= SmtpExtensions.AuthPlain;
                        else if (mechanism.Equals("LOGIN", StringComparison.OrdinalIgnoreCase)) _extensions |= SmtpExtensions.AuthLogin;
                    break;
            }
        }
    }

    private async Task LogInAsync(string username, string password)
    {
        SmtpReply reply;
        if (_extensions.HasFlag(SmtpExtensions.AuthPlain))
            reply = await _wire.CommandAsync($"AUTH PLAIN {Base64($"\0{username}\0{password}")}");
        else if (_extensions.HasFlag(SmtpExtensions.AuthLogin))
        {
            reply = await _wire.CommandAsync("AUTH LOGIN");
            if (reply.Code == 334) reply = await _wire.CommandAsync(Base64(username));
            if (reply.Code == 334) reply = await _wire.CommandAsync(Base64(password));
        }
        else
            throw new RelayUnavailableException($"The SMTP relay at {Relay} offers no login Dispatcher speaks (AUTH PLAIN or LOGIN){(IsSecure ? "" : "; many relays offer them only after STARTTLS")}");
        if (reply.Code != 235) throw new RelayUnavailableException($"The SMTP relay at {Relay} refused the login for Smtp:Username: {reply}");
    }

    /// <summary>Sends what the source gives until it gives nothing. Throws when the connection can no longer be used,
    /// after answering or giving back every job it held.</summary>
    public Task SendAsync(IMailJobSource source) =>
        !Pipelines ? SendOneCommandAtATimeAsync(source)
        : _extensions.HasFlag(SmtpExtensions.Chunking) ? SendChunkedAsync(source)
        : SendWithDataAsync(source);

    /// <summary>PIPELINING and CHUNKING: MAIL FROM, RCPT TO, BDAT n LAST and the bytes in one write; three replies.</summary>
    private async Task SendChunkedAsync(IMailJobSource source)
    {
        while (true)
        {
            if (await NextAsync(source, wait: true) is not { } next) return;
            var (job, length) = (next.Job, next.Length);
            var reset = WriteReset();
            WriteEnvelope(next);
            _wire.Command($"BDAT {length} LAST");
            _wire.Write(MessageBytes(length));
            if (!StillToSendNow(job))
            {
                _needsReset |= reset; // it was dropped with the rest
                continue;
            }
            var sent = await SendHeldAsync(source, dataOf: job, envelopeOf: null);
            var replies = await ReadRepliesAsync(source, job, reset, dataSent: true, count: 3);
            Answer(source, job, sent, replies[0], replies[1], replies[2]);
        }
    }

    /// <summary>PIPELINING without CHUNKING: one round trip per message once under way (see the class remarks).</summary>
    private async Task SendWithDataAsync(IMailJobSource source)
    {
        Outgoing? ready = null; // its 354 is in: its data is due
        while (true)
        {
            if (ready is not { } due)
            {
                if (await NextAsync(source, wait: true) is not { } first) return;
                ready = await OpenDataAsync(source, first, dataBefore: null);
                continue;
            }

            // The data of the message whose 354 is in, then (when one is ready now) the next envelope and DATA.
            WriteData(due.Length);
            ready = await OpenDataAsync(source, await NextAsync(source, wait: false), dataBefore: due.Job);
        }
    }

    /// <summary>Writes <paramref name="job"/>'s MAIL FROM, RCPT TO and DATA after whatever is held (a previous message's
    /// data), sends it all, and reads the replies: the previous message's answer first. Returns the job when its 354 came.</summary>
    private async Task<Outgoing?> OpenDataAsync(IMailJobSource source, Outgoing? next, MailJob? dataBefore)
    {
        var job = next?.Job;
        var reset = job is not null && WriteReset();
        if (next is { } envelope)
        {
            WriteEnvelope(envelope);
            _wire.Command("DATA");
        }
        if (dataBefore is not null && !StillToSendNow(dataBefore))
        {
            if (job is not null) source.GiveBack(job); // its envelope was dropped with the data
            throw Withdrawn();
        }
        var sent = await SendHeldAsync(source, dataOf: dataBefore, envelopeOf: job);
        if (dataBefore is not null)
        {
            SmtpReply final;
            try
            {
                final = await _wire.ReadReplyAsync();
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                InDoubt(source, dataBefore, e, repliesRead: false);
                if (job is not null) source.GiveBack(job); // its envelope went, its data did not
                throw;
            }
            _needsReset = !final.IsPositive;
            if (!final.IsPositive && final.SaysTooBusy)
            {
                if (job is not null) await SettleAfterBusyAsync(source, job, reset, sent);
                Answer(source, dataBefore, sent, Ok, Ok, final);
            }
            Finish(source, dataBefore, sent, OutcomeOf(null, null, final));
        }
        if (job is null) return null;

        var replies = await ReadRepliesAsync(source, job, reset, dataSent: false, count: 3);
        var (mail, rcpt, data) = (replies[0], replies[1], replies[2]);
        if (mail.IsPositive && rcpt.IsPositive && data.Code == 354) return next;
        if (data.Code == 354)
        {
            // A relay must refuse DATA when no recipient was taken; one that did not now waits for data nobody should
            // get. Nothing can end it safely but closing the connection.
            Answer(source, job, sent, mail, rcpt, rcpt.IsPositive ? mail : rcpt);
            throw new SmtpProtocolException($"{Relay} accepted DATA for a transaction it had refused");
        }
        _needsReset = true;
        Answer(source, job, sent, mail, rcpt, data);
        return null;
    }

    /// <summary>No PIPELINING (or Smtp:PipelineData off): each command waits for its reply.</summary>
    private async Task SendOneCommandAtATimeAsync(IMailJobSource source)
    {
        var chunking = _extensions.HasFlag(SmtpExtensions.Chunking);
        while (true)
        {
            if (await NextAsync(source, wait: true) is not { } next) return;
            var (job, length) = (next.Job, next.Length);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                if (_needsReset)
                {
                    await AskAsync(source, "RSET");
                    _needsReset = false;
                }
                var mail = await AskAsync(source, next.MailCommand);
                var rcpt = mail.IsPositive ? await AskAsync(source, next.RcptCommand) : mail;
                if (!mail.IsPositive || !rcpt.IsPositive)
                {
                    _needsReset = true;
                    Answer(source, job, started, mail, rcpt, rcpt);
                    continue;
                }
                SmtpReply final;
                if (chunking)
                {
                    _wire.Command($"BDAT {length} LAST");
                    _wire.Write(MessageBytes(length));
                    if (!StillToSendNow(job))
                    {
                        _needsReset = true;
                        continue;
                    }
                    final = await ReadAfterDataAsync(source, job);
                }
                else
                {
                    // Asked before DATA too: after the 354 only closing the connection withdraws the message.
                    if (!StillToSendNow(job))
                    {
                        _needsReset = true;
                        continue;
                    }
                    var data = await AskAsync(source, "DATA");
                    if (data.Code != 354)
                    {
                        _needsReset = true;
                        Answer(source, job, started, mail, rcpt, data);
                        continue;
                    }
                    WriteData(length);
                    if (!StillToSendNow(job)) throw Withdrawn();
                    final = await ReadAfterDataAsync(source, job);
                }
                _needsReset = !final.IsPositive;
                Answer(source, job, started, mail, rcpt, final);
            }
            catch (Exception e) when (IsConnectionFailure(e) && e is not (SmtpDataInDoubtException or SmtpMessageWithdrawnException))
            {
                source.GiveBack(job); // nothing of its data went
                throw;
            }
        }
    }

    private async Task<SmtpReply> AskAsync(IMailJobSource source, string command)
    {
        source.RoundTrip();
        return await _wire.CommandAsync(command);
    }

    private async Task<SmtpReply> ReadAfterDataAsync(IMailJobSource source, MailJob job)
    {
        try
        {
            await _wire.FlushAsync();
            source.RoundTrip();
            return await _wire.ReadReplyAsync();
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            InDoubt(source, job, e, repliesRead: false);
            throw new SmtpDataInDoubtException(e.Message, e);
        }
    }

    /// <summary>The next job, with its message written into <see cref="_message"/>; jobs that turn out not to be sent are
    /// answered on the way. A connection that heard from the relay while it waited gives the job back and closes.</summary>
    private async Task<Outgoing?> NextAsync(IMailJobSource source, bool wait)
    {
        while (true)
        {
            var job = await source.NextAsync(wait);
            if (job is null) return null;
            if (wait && _wire.HeardWhileIdle)
            {
                source.GiveBack(job);
                throw new IOException($"{Relay} closed the connection while it was idle");
            }
            int length;
            try
            {
                _message.SetLength(0);
                if (!await job.WriteAsync(_message))
                {
                    job.Finish();
                    continue;
                }
                length = checked((int)_message.Length);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A message that cannot be built now (the database away while a digest is filled in, a bug) is tried
                // again later like a deferral, not sent half-made.
                source.Done(job, SendOutcome.FromReply(451, $"4.3.0 the message could not be built: {e.Message}", aboutRecipient: false), TimeSpan.Zero);
                continue;
            }
            if (_maxSize > 0 && length > _maxSize)
            {
                source.Done(job, SendOutcome.FromReply(552, $"5.3.4 the message ({length} bytes) is larger than the relay takes (SIZE {_maxSize})", aboutRecipient: false), TimeSpan.Zero);
                continue;
            }
            if (!TryEnvelope(job, length, out var mail, out var rcpt, out var problem))
            {
                source.Done(job, SendOutcome.FromReply(553, $"5.1.3 {problem}", aboutRecipient: true), TimeSpan.Zero);
                continue;
            }
            return new Outgoing(job, length, mail, rcpt);
        }
    }

    /// <summary>Asked right before the bytes that complete a message leave, though the job was asked when its message was
    /// built: a process paused in between (SIGSTOP, a frozen VM) may have been declared dead meanwhile and its people given
    /// to another worker, and would otherwise send this one on waking. False: what is held is dropped unsent and the job is
    /// finished (it recorded why itself).</summary>
    private bool StillToSendNow(MailJob job)
    {
        if (job.StillToSend()) return true;
        _wire.Discard();
        job.Finish();
        return false;
    }

    /// <summary>The relay waits for data after its 354, and only a closed connection ends that without a message.</summary>
    private SmtpMessageWithdrawnException Withdrawn() =>
        new($"A message was withdrawn after {Relay} said to send it; the connection is closed so that nothing is delivered");

    private ReadOnlySpan<byte> MessageBytes(int length) => _message.GetBuffer().AsSpan(0, length);

    private bool WriteReset()
    {
        if (!_needsReset) return false;
        _wire.Command("RSET");
        _needsReset = false;
        return true;
    }

    private void WriteEnvelope(Outgoing next)
    {
        _wire.Command(next.MailCommand);
        _wire.Command(next.RcptCommand);
    }

    private bool TryEnvelope(MailJob job, int length, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? mail,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? rcpt, out string? problem)
    {
        var utf8 = _extensions.HasFlag(SmtpExtensions.SmtpUtf8);
        mail = rcpt = null;
        if (!EnvelopeAddress.TryFormat(job.Sender, utf8, out var from, out var fromUtf8, out problem)
            || !EnvelopeAddress.TryFormat(job.Recipient, utf8, out var to, out var toUtf8, out problem))
            return false;
        var parameters = new StringBuilder();
        if (_extensions.HasFlag(SmtpExtensions.Size)) parameters.Append(" SIZE=").Append(length);
        if (fromUtf8 || toUtf8) parameters.Append(" SMTPUTF8");
        mail = $"MAIL FROM:<{from}>{parameters}";
        rcpt = $"RCPT TO:<{to}>";
        return true;
    }

    /// <summary>The message in <see cref="_message"/> as DATA: a line that begins with a dot gets another, and every line
    /// ends in CRLF — a bare CR or LF becomes one, so no line end another server reads differently can hide an end of
    /// data inside a message (SMTP smuggling) — then the final dot.</summary>
    private void WriteData(int length)
    {
        var message = MessageBytes(length);
        var output = _wire.Output;
        var lineStart = true;
        while (message.Length > 0)
        {
            if (lineStart && message[0] == (byte)'.') output.Write("."u8);
            var end = message.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                output.Write(message);
                output.Write("\r\n"u8);
                lineStart = true;
                break;
            }
            output.Write(message[..end]);
            output.Write("\r\n"u8);
            lineStart = true;
            message = message[end..];
            message = message.Length > 1 && message[0] == (byte)'\r' && message[1] == (byte)'\n' ? message[2..] : message[1..];
        }
        if (!lineStart) output.Write("\r\n"u8);
        output.Write(".\r\n"u8);
    }

    /// <summary>Sends what is held: the data of one job and the envelope of another, or either. When that fails, the job
    /// whose data was in it is in doubt (part of it may have arrived), and the one whose envelope alone was goes back.
    /// Returns when it was sent, to time the answer.</summary>
    private async Task<long> SendHeldAsync(IMailJobSource source, MailJob? dataOf, MailJob? envelopeOf)
    {
        try
        {
            await _wire.FlushAsync();
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            if (dataOf is not null) InDoubt(source, dataOf, e, repliesRead: false);
            if (envelopeOf is not null) source.GiveBack(envelopeOf);
            throw;
        }
        source.RoundTrip();
        return System.Diagnostics.Stopwatch.GetTimestamp();
    }

    /// <summary>The replies of one group: RSET's (when one went first) is read and set aside, then <paramref name="count"/>.</summary>
    private async Task<SmtpReply[]> ReadRepliesAsync(IMailJobSource source, MailJob job, bool reset, bool dataSent, int count)
    {
        var replies = new SmtpReply[count];
        var read = 0;
        try
        {
            if (reset) await _wire.ReadReplyAsync();
            for (; read < count; read++) replies[read] = await _wire.ReadReplyAsync();
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // Once its data went, the relay may have taken it; with only its envelope sent, it cannot have.
            if (dataSent) InDoubt(source, job, e, repliesRead: read > 0 || reset);
            else source.GiveBack(job);
            throw;
        }
        return replies;
    }

    private static readonly SmtpReply Ok = new(250, "");

    /// <summary>The connection ends (the relay said it is too busy) after <paramref name="job"/>'s envelope went with the
    /// previous message's data: a refusal of its own that came anyway is its answer (it is not tried twice); otherwise it
    /// goes back unsent for another connection.</summary>
    private async Task SettleAfterBusyAsync(IMailJobSource source, MailJob job, bool reset, long sent)
    {
        try
        {
            if (reset) await _wire.ReadReplyAsync();
            var mail = await _wire.ReadReplyAsync();
            var rcpt = await _wire.ReadReplyAsync();
            var data = await _wire.ReadReplyAsync();
            var refused = !mail.IsPositive ? mail : !rcpt.IsPositive ? rcpt : (SmtpReply?)null;
            if (refused is { SaysTooBusy: false })
            {
                Finish(source, job, sent, OutcomeOf(mail, rcpt, data));
                return;
            }
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            // Closed, as a relay does after 421: nothing about this job was heard.
        }
        source.GiveBack(job);
    }

    /// <summary>Answers the job from its replies. A relay too busy for us ends the connection (fewer of them for a while):
    /// refused for too many connections, the job goes back for another; otherwise (421 closing, 452 out of room) it is
    /// answered as the relay being unavailable, to be tried again later.</summary>
    private void Answer(IMailJobSource source, MailJob job, long sent, SmtpReply mail, SmtpReply rcpt, SmtpReply final)
    {
        var failing = !mail.IsPositive ? mail : !rcpt.IsPositive ? rcpt : final;
        _needsReset |= !final.IsPositive || !mail.IsPositive || !rcpt.IsPositive;
        if (!failing.IsPositive && failing.SaysTooBusy)
        {
            if (failing.SaysTooManyConnections) source.GiveBack(job);
            else Finish(source, job, sent, SendOutcome.Unavailable(failing.ToString()));
            throw new RelayBusyException($"{Relay}: {failing}");
        }
        Finish(source, job, sent, OutcomeOf(mail, rcpt, final));
    }

    private static SendOutcome OutcomeOf(SmtpReply? mail, SmtpReply? rcpt, SmtpReply final) =>
        mail is { IsPositive: false } m ? SendOutcome.FromReply(m.Code, m.Text, aboutRecipient: false)
        : rcpt is { IsPositive: false } r ? SendOutcome.FromReply(r.Code, r.Text, aboutRecipient: true)
        : final.IsPositive ? SendOutcome.Accepted(final.ToString())
        : SendOutcome.FromReply(final.Code, final.Text, aboutRecipient: false);

    private static void Finish(IMailJobSource source, MailJob job, long sent, SendOutcome outcome) =>
        source.Done(job, outcome, System.Diagnostics.Stopwatch.GetElapsedTime(sent));

    /// <summary>The connection failed after the job's data went out and before its answer. When the relay simply closed
    /// it without a word (it had dropped an idle connection just as it was used), the message went nowhere: once, it goes
    /// back for another connection. Otherwise it may have been delivered, and counts as a temporary failure.</summary>
    private void InDoubt(IMailJobSource source, MailJob job, Exception e, bool repliesRead)
    {
        if (!repliesRead && job.Returned == 0 && e is IOException { InnerException: null or SocketException } and not SmtpProtocolException)
        {
            source.GiveBack(job);
            return;
        }
        source.Done(job, new SendOutcome(SendResult.Retry, $"the connection to {Relay} failed before its answer: {e.Message}"), TimeSpan.Zero);
    }

    private static bool IsConnectionFailure(Exception e) => e is IOException or SocketException or TimeoutException or ObjectDisposedException
        or System.Security.Authentication.AuthenticationException;

    private RelayUnavailableException Refused(string step, SmtpReply reply)
    {
        var message = $"The SMTP relay at {Relay} refused the {step}: {reply}";
        return new RelayUnavailableException(message, reply.SaysTooBusy ? new RelayBusyException(message) : null);
    }

    /// <summary>Keeps an idle connection open (relays close quiet ones): false when it is gone.</summary>
    public async Task<bool> NoopAsync()
    {
        try
        {
            if (_wire.HeardWhileIdle) return false;
            return (await _wire.CommandAsync("NOOP")).IsPositive;
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            return false;
        }
    }

    /// <summary>QUIT, briefly, then close.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_wire.HeardWhileIdle)
            {
                _wire.Command("QUIT");
                await _wire.FlushAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            }
        }
        catch (Exception e) when (IsConnectionFailure(e) || e is TimeoutException)
        {
            // Leaving a connection that is already broken.
        }
        await _wire.DisposeAsync();
        await _message.DisposeAsync();
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}

/// <summary>A job ready to go: its message written into the session's buffer (<paramref name="Length"/> bytes) and its
/// envelope formatted, once.</summary>
internal readonly record struct Outgoing(MailJob Job, int Length, string MailCommand, string RcptCommand);

/// <summary>A connection failed after a message's data went out and before its answer: the job is answered (in doubt).</summary>
internal sealed class SmtpDataInDoubtException(string message, Exception inner) : IOException(message, inner);

/// <summary>A message was withdrawn after the relay's 354: the connection is closed so that nothing is delivered.</summary>
internal sealed class SmtpMessageWithdrawnException(string message) : IOException(message);

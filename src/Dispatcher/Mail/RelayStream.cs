using System.Net.Sockets;

namespace Dispatcher.Mail;

/// <summary>What MailKit talks to a relay through: the socket, with writes held until MailKit flushes or reads.</summary>
/// <remarks><para>MailKit hands a message over in blocks of 4 KB, and on a NoDelay socket every write leaves as a packet of
/// its own and wakes the relay: a 6 KB statement went as two sends (besides one for MAIL FROM + RCPT TO and one for
/// DATA). Held until MailKit flushes — which it does before it waits for any reply — each command group and each message
/// goes in one send (docs/adr/0004). Anything held is sent before a read too, so nothing can wait unsent for its own
/// reply, whoever wrote it (MailKit, or the SslStream that STARTTLS puts over it). BCL's BufferedStream does the same,
/// but after a failed send it tries the held bytes again when disposed and throws from there, where MailKit's disconnect
/// expects no exception; here they are dropped with the connection.</para>
/// <para>With <see cref="PipelinesData"/> it also sends DATA with MAIL FROM and RCPT TO, as RFC 2920 allows (DATA may
/// end a pipelined group): MailKit waits for the RCPT replies before it sends DATA, a round trip more per message than
/// the protocol needs. The relay's answer to that DATA is kept from MailKit until MailKit sends DATA itself (which is then
/// not sent again), so MailKit sees the conversation it expects. When MailKit sends something else instead — RSET after
/// a refused recipient — the answer is read and dropped first: it is a refusal, since a relay cannot take a message for
/// nobody; were it a go-ahead, the connection is closed, so no empty message can be delivered.</para></remarks>
internal sealed class RelayStream(Socket socket) : Stream
{
    /// <summary>Larger writes go out as they come: a message bigger than this is sent in pieces of about this size.</summary>
    private const int HoldAtMost = 64 * 1024;

    private static ReadOnlySpan<byte> Data => "DATA\r\n"u8;

    private readonly NetworkStream _socket = new(socket, ownsSocket: true);
    private readonly byte[] _held = new byte[HoldAtMost + Data.Length];
    private int _count;

    /// <summary>Replies read from the relay and not yet given to MailKit: only while a DATA of ours is unanswered for it.</summary>
    private readonly byte[] _replies = new byte[8 * 1024];
    private int _replyStart, _replyEnd;

    /// <summary>A DATA this stream sent that MailKit has not sent yet; its reply is not MailKit's until MailKit does.</summary>
    private bool _dataAhead;

    /// <summary>Replies MailKit is owed (one per command of the group) before the one to the DATA sent ahead.</summary>
    private int _owed;

    /// <summary>Send DATA with each MAIL FROM + RCPT TO group. Only for a relay that offers PIPELINING, over plain TCP (under
    /// TLS this stream sees only ciphertext), and only with MailKit's blocking calls: asynchronous ones block while it is on.</summary>
    public bool PipelinesData { get; set; }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;

    /// <summary>So that MailKit sets Smtp:TimeoutSeconds on the socket (it leaves a stream that cannot time out alone).</summary>
    public override bool CanTimeout => true;

    public override int ReadTimeout
    {
        get => _socket.ReadTimeout;
        set => _socket.ReadTimeout = value;
    }

    public override int WriteTimeout
    {
        get => _socket.WriteTimeout;
        set => _socket.WriteTimeout = value;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_count + buffer.Length > HoldAtMost) Flush();
        if (buffer.Length >= HoldAtMost) _socket.Write(buffer);
        else Hold(buffer);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (PipelinesData)
        {
            Write(buffer.Span);
            return;
        }
        if (_count + buffer.Length > HoldAtMost) await FlushAsync(cancellationToken);
        if (buffer.Length >= HoldAtMost) await _socket.WriteAsync(buffer, cancellationToken);
        else Hold(buffer.Span);
    }

    private void Hold(ReadOnlySpan<byte> buffer)
    {
        buffer.CopyTo(_held.AsSpan(_count));
        _count += buffer.Length;
    }

    /// <summary>Sends what is held. Forgotten before sending: when the send fails, the connection is finished anyway.</summary>
    public override void Flush()
    {
        if (_count == 0) return;
        if (_dataAhead) CatchUpWithDataAhead();
        if (_count == 0) return; // MailKit's DATA, already sent
        if (PipelinesData && HeldCommands() is > 0 and var commands)
        {
            Hold(Data);
            (_dataAhead, _owed) = (true, commands);
        }
        _socket.Write(TakeHeld().Span);
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (PipelinesData) Flush();
        else if (_count > 0) await _socket.WriteAsync(TakeHeld(), cancellationToken);
    }

    /// <summary>How many commands are held when what is held is exactly a MAIL FROM with its RCPT TOs (CRLF after each),
    /// what DATA may follow; otherwise 0.</summary>
    private int HeldCommands()
    {
        ReadOnlySpan<byte> held = _held.AsSpan(0, _count);
        if (!held.StartsWith("MAIL FROM:"u8) || !held.EndsWith("\r\n"u8)) return 0;
        var commands = 0;
        foreach (var range in held[..^2].Split("\r\n"u8))
        {
            var line = held[range];
            if (commands > 0 && !line.StartsWith("RCPT TO:"u8)) return 0;
            commands++;
        }
        return commands > 1 ? commands : 0;
    }

    /// <summary>MailKit's first command after a group this stream sent DATA with. DATA: already sent, so it is dropped and
    /// the relay's answer is MailKit's now. Anything else: the answer to our DATA is read and dropped before it goes.</summary>
    private void CatchUpWithDataAhead()
    {
        // MailKit read every reply of the group before it went on; if not, nobody knows which reply is whose any more.
        if (_owed > 0) throw new IOException("The SMTP conversation went out of step (a command before the replies it waits for)");
        _dataAhead = false;
        if (_held.AsSpan(0, _count).SequenceEqual(Data))
        {
            _count = 0;
            return;
        }
        var reply = NextReplyLength();
        if (_replies.AsSpan(_replyStart, reply).StartsWith("354"u8))
            throw new IOException("The relay accepted a DATA for a message that is not being sent; closing the connection");
        _replyStart += reply;
    }

    /// <summary>The length of the first complete reply read, reading more until there is one.</summary>
    private int NextReplyLength()
    {
        while (true)
        {
            var (length, replies) = CompleteReplies(_replies.AsSpan(_replyStart, _replyEnd - _replyStart), 1, int.MaxValue);
            if (replies == 1) return length;
            ReadMoreReplies();
        }
    }

    /// <summary>The bytes of whole lines at the start of <paramref name="text"/>, up to at most <paramref name="most"/>
    /// complete replies and <paramref name="room"/> bytes, and how many replies those lines complete. A reply ends with a
    /// line whose code is not followed by a hyphen.</summary>
    private static (int Length, int Replies) CompleteReplies(ReadOnlySpan<byte> text, int most, int room)
    {
        var (length, replies) = (0, 0);
        while (replies < most)
        {
            var end = text[length..].IndexOf((byte)'\n');
            if (end < 0 || length + end + 1 > room) break;
            var line = text.Slice(length, end + 1);
            length += end + 1;
            if (line.Length < 4 || line[3] != (byte)'-') replies++;
        }
        return (length, replies);
    }

    private void ReadMoreReplies()
    {
        if (_replyStart > 0)
        {
            _replies.AsSpan(_replyStart, _replyEnd - _replyStart).CopyTo(_replies);
            (_replyEnd, _replyStart) = (_replyEnd - _replyStart, 0);
        }
        if (_replyEnd == _replies.Length) throw new IOException("The relay's reply is too long");
        var read = _socket.Read(_replies.AsSpan(_replyEnd));
        if (read == 0) throw new IOException("The relay closed the connection");
        _replyEnd += read;
    }

    private ReadOnlyMemory<byte> TakeHeld()
    {
        var held = _held.AsMemory(0, _count);
        _count = 0;
        return held;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        Flush();
        if (_dataAhead) return ReadOwedReplies(buffer);
        if (_replyEnd == _replyStart) return _socket.Read(buffer);
        var given = Math.Min(buffer.Length, _replyEnd - _replyStart);
        _replies.AsSpan(_replyStart, given).CopyTo(buffer);
        _replyStart += given;
        return given;
    }

    /// <summary>While our DATA is ahead of MailKit's: whole lines of the replies MailKit waits for, never the DATA's.</summary>
    private int ReadOwedReplies(Span<byte> buffer)
    {
        if (_owed == 0) throw new IOException("The SMTP conversation went out of step (a read with no reply owed)");
        while (true)
        {
            var (length, replies) = CompleteReplies(_replies.AsSpan(_replyStart, _replyEnd - _replyStart), _owed, buffer.Length);
            if (length > 0)
            {
                _replies.AsSpan(_replyStart, length).CopyTo(buffer);
                _replyStart += length;
                _owed -= replies;
                return length;
            }
            ReadMoreReplies();
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (PipelinesData) return Read(buffer.Span);
        await FlushAsync(cancellationToken);
        return await _socket.ReadAsync(buffer, cancellationToken);
    }

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _socket.Dispose();
        base.Dispose(disposing);
    }
}

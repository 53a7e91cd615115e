using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Dispatcher.Mail.Smtp;

/// <summary>The bytes of one SMTP connection: commands and messages are held until <see cref="FlushAsync"/> sends them
/// in one write — so a whole pipelined group leaves as one packet — and replies are parsed from a read buffer.</summary>
/// <remarks>Every send and every reply waits at most Smtp:TimeoutSeconds. Nothing here is cancelled from outside: a
/// message cut off after its data would be neither known sent nor known unsent.</remarks>
internal sealed class SmtpWire : IAsyncDisposable
{
    private const int MaxReplyLength = 64 * 1024;

    private readonly Socket _socket;
    private readonly TimeSpan _timeout;
    private readonly byte[] _in = new byte[8 * 1024];
    private int _inStart, _inEnd;
    private ArrayBufferWriter<byte> _out = new(16 * 1024);
    private CancellationTokenSource _deadline = new();
    private Stream _stream;

    public SmtpWire(Socket socket, Stream stream, TimeSpan timeout)
    {
        _socket = socket;
        _stream = stream;
        _timeout = timeout;
    }

    public bool IsSecure => _stream is SslStream;

    /// <summary>Bytes held for the next <see cref="FlushAsync"/>.</summary>
    public IBufferWriter<byte> Output => _out;

    /// <summary>Holds one command line. The caller has made sure it holds no CR or LF.</summary>
    public void Command(string line)
    {
        var span = _out.GetSpan(Encoding.UTF8.GetMaxByteCount(line.Length) + 2);
        var length = Encoding.UTF8.GetBytes(line, span);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        _out.Advance(length + 2);
    }

    public void Write(ReadOnlySpan<byte> bytes) => _out.Write(bytes);

    /// <summary>Drops everything held, unsent.</summary>
    public void Discard() => _out.ResetWrittenCount();

    /// <summary>Sends everything held, in one write.</summary>
    public async ValueTask FlushAsync()
    {
        if (_out.WrittenCount == 0) return;
        try
        {
            await _stream.WriteAsync(_out.WrittenMemory, Deadline());
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the relay took nothing for {_timeout.TotalSeconds:0} s");
        }
        // A large message grew the buffer; do not keep it for every message after.
        if (_out.Capacity > 1024 * 1024) _out = new ArrayBufferWriter<byte>(16 * 1024);
        else _out.ResetWrittenCount();
    }

    /// <summary>The next reply. With <paramref name="lines"/>, each line's text is added to it too (EHLO's keywords).</summary>
    public async ValueTask<SmtpReply> ReadReplyAsync(List<string>? lines = null)
    {
        var code = 0;
        var text = new StringBuilder();
        while (true)
        {
            var line = await ReadLineAsync();
            if (line.Length < 3 || !char.IsAsciiDigit(line[0]) || !char.IsAsciiDigit(line[1]) || !char.IsAsciiDigit(line[2])
                || (line.Length > 3 && line[3] is not (' ' or '-')))
                throw new SmtpProtocolException($"the relay sent something that is not an SMTP reply: {Printable(line)}");
            var lineCode = int.Parse(line.AsSpan(0, 3));
            if (code == 0) code = lineCode;
            else if (lineCode != code) throw new SmtpProtocolException($"the relay changed its reply code mid-reply: {Printable(line)}");
            var lineText = line.Length > 4 ? line[4..] : "";
            lines?.Add(lineText);
            if (text.Length > 0) text.Append(' ');
            text.Append(lineText);
            if (text.Length > MaxReplyLength) throw new SmtpProtocolException("the relay's reply is too long");
            if (line.Length == 3 || line[3] == ' ') return new SmtpReply(code, text.ToString());
        }
    }

    /// <summary>Sends one command and reads its reply.</summary>
    public async ValueTask<SmtpReply> CommandAsync(string line)
    {
        Command(line);
        await FlushAsync();
        return await ReadReplyAsync();
    }

    /// <summary>TLS over the connection (STARTTLS, after its 220, or from the start for implicit TLS).</summary>
    public async Task StartTlsAsync(string host, RemoteCertificateValidationCallback? validate)
    {
        // Anything the server sent after its 220 came before encryption and could be an attacker's: never read as TLS data.
        if (_inEnd > _inStart) throw new SmtpProtocolException("the relay sent data after its answer to STARTTLS");
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = host,
                RemoteCertificateValidationCallback = validate,
                CertificateRevocationCheckMode = X509RevocationMode.Online,
            }, Deadline());
        }
        catch (OperationCanceledException)
        {
            await tls.DisposeAsync();
            throw new TimeoutException($"no TLS handshake within {_timeout.TotalSeconds:0} s");
        }
        _stream = tls;
    }

    /// <summary>Whether an idle connection has heard from the relay: a close, or an unasked-for reply (a 421 before it
    /// hangs up). Either way it is not to be used for the next message.</summary>
    public bool HeardWhileIdle
    {
        get
        {
            try
            {
                return _inEnd > _inStart || _socket.Poll(0, SelectMode.SelectRead);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return true;
            }
        }
    }

    private async ValueTask<string> ReadLineAsync()
    {
        List<byte>? longLine = null;
        while (true)
        {
            var held = _in.AsSpan(_inStart, _inEnd - _inStart);
            var end = held.IndexOf((byte)'\n');
            if (end >= 0)
            {
                var line = held[..end];
                _inStart += end + 1;
                if (longLine is not null)
                {
                    longLine.AddRange(line);
                    line = longLine.ToArray();
                }
                if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
                return Encoding.UTF8.GetString(line);
            }
            if (_inStart > 0)
            {
                held.CopyTo(_in);
                (_inEnd, _inStart) = (held.Length, 0);
            }
            if (_inEnd == _in.Length)
            {
                // A line longer than the buffer: keep it aside, within reason.
                longLine ??= [];
                longLine.AddRange(_in.AsSpan(0, _inEnd));
                if (longLine.Count > MaxReplyLength) throw new SmtpProtocolException("the relay's reply is too long");
                _inEnd = 0;
            }
            int read;
            try
            {
                read = await _stream.ReadAsync(_in.AsMemory(_inEnd), Deadline());
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no answer from the relay within {_timeout.TotalSeconds:0} s");
            }
            if (read == 0) throw new IOException("the relay closed the connection");
            _inEnd += read;
        }
    }

    /// <summary>A token that cancels after Smtp:TimeoutSeconds, for one send or read; one source, reused while it can be.</summary>
    private CancellationToken Deadline()
    {
        if (!_deadline.TryReset())
        {
            _deadline.Dispose();
            _deadline = new CancellationTokenSource();
        }
        _deadline.CancelAfter(_timeout);
        return _deadline.Token;
    }

    private static string Printable(string text) =>
        new(text.Take(200).Select(c => char.IsControl(c) ? ' ' : c).ToArray());

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _stream.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // Closing a connection that is already broken.
        }
        _socket.Dispose();
        _deadline.Dispose();
    }
}

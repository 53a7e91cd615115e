using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Dispatcher.Tests.Mail;

/// <summary>A scripted SMTP server on loopback for testing the client's wire order. It answers the way a pipelining
/// server does: it reads everything the client has sent, answers it all in one write, and records each such group of
/// commands — so a test sees which commands the client sent together before waiting (one group = one round trip).</summary>
internal sealed class ScriptedRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly string[] _extensions;
    private readonly Func<string, string?> _reply;

    /// <param name="extensions">EHLO keywords after the greeting line, e.g. "PIPELINING", "CHUNKING", "SIZE 1000".</param>
    /// <param name="reply">A reply for a command instead of the usual one (null: the usual); "close" drops the connection.</param>
    public ScriptedRelay(string[] extensions, Func<string, string?>? reply = null)
    {
        _extensions = extensions;
        _reply = reply ?? (_ => null);
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Ends when the client has gone (or the server was told to stop): everything it sent has been recorded.</summary>
    public Task Served => _serving;

    /// <summary>Each group the client sent before waiting: commands, with "&lt;data&gt;" for a message's data.</summary>
    public List<List<string>> Groups { get; } = [];

    /// <summary>The messages taken (data as the server reads it, dot-stuffing undone), by recipient.</summary>
    public List<(string Recipient, string Data)> Messages { get; } = [];

    /// <summary>Every byte of message data as it came over the wire (dot-stuffing kept).</summary>
    public StringBuilder RawData { get; } = new();

    /// <summary>Drops the connection, unanswered, when a message's data arrives after this many were taken.</summary>
    public int? CloseAfterMessages { get; init; }

    public Dispatcher.Mail.Relay Relay(int maxConnections = 8, Dispatcher.Mail.SmtpSecurity security = Dispatcher.Mail.SmtpSecurity.None,
        string? username = null, string? password = null) =>
        new(new Dispatcher.Mail.RelayOptions { Host = "127.0.0.1", Port = Port, Security = security, Username = username, Password = password },
            null, TimeSpan.FromSeconds(30), maxConnections);

    /// <summary>The login it takes (AUTH PLAIN or LOGIN, as its EHLO says); any other is refused with 535.</summary>
    public (string Username, string Password)? Login { get; init; }

    private string? _loginUser;
    private int _loginStep;

    private async Task ServeAsync()
    {
        try
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("220 scripted.test ESMTP\r\n"u8.ToArray(), _stop.Token);
            var buffer = new List<byte>();
            var chunk = new byte[65536];
            string? recipient = null;
            while (true)
            {
                var read = await stream.ReadAsync(chunk, _stop.Token);
                if (read == 0) return;
                buffer.AddRange(chunk.AsSpan(0, read));
                var group = new List<string>();
                var replies = new StringBuilder();
                var closing = false;
                // Everything complete in the buffer is answered together.
                while (TryNext(buffer, out var item, ref _state))
                {
                    group.Add(item.Command);
                    if (item.Data is { } data)
                    {
                        if (CloseAfterMessages is { } limit && Messages.Count >= limit)
                        {
                            lock (Groups) Groups.Add(group);
                            return; // without a word about anything in this group
                        }
                        if (_refusedRecipients > 0 || recipient is null)
                        {
                            replies.Append("554 5.5.1 no valid recipients\r\n");
                            continue;
                        }
                        Messages.Add((recipient!, data));
                        replies.Append("250 2.0.0 queued\r\n");
                        continue;
                    }
                    var scripted = _reply(item.Command);
                    if (scripted == "close")
                    {
                        closing = true;
                        break;
                    }
                    var usual = Usual(item.Command, ref recipient);
                    replies.Append(scripted ?? usual).Append("\r\n");
                    if (item.Command.StartsWith("RCPT", StringComparison.Ordinal) && scripted is not null && !scripted.StartsWith('2'))
                        _refusedRecipients++;
                    if (item.Command == "DATA" && (scripted ?? usual).StartsWith("354", StringComparison.Ordinal)) _state = State.Data;
                    if (item.Command == "QUIT") closing = true;
                }
                if (group.Count > 0) lock (Groups) Groups.Add(group);
                if (replies.Length > 0) await stream.WriteAsync(Encoding.ASCII.GetBytes(replies.ToString()), _stop.Token);
                if (closing) return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
        {
        }
    }

    private int _refusedRecipients;
    private State _state;
    private int _bdatLeft;

    private enum State { Commands, Data, Bdat }

    private string Usual(string command, ref string? recipient)
    {
        if (_loginStep == 1)
        {
            _loginUser = Decode(command);
            _loginStep = 2;
            return "334 UGFzc3dvcmQ6";
        }
        if (_loginStep == 2)
        {
            _loginStep = 0;
            return Login is { } login && _loginUser == login.Username && Decode(command) == login.Password ? "235 2.7.0 ok" : "535 5.7.8 bad login";
        }
        var verb = command.Split(' ', ':')[0].ToUpperInvariant();
        switch (verb)
        {
            case "EHLO":
                var lines = new[] { "scripted.test" }.Concat(_extensions).ToArray();
                return string.Join("\r\n", lines.Select((l, i) => (i < lines.Length - 1 ? "250-" : "250 ") + l));
            case "MAIL":
                _refusedRecipients = 0;
                recipient = null;
                return "250 2.1.0 ok";
            case "RCPT":
                recipient = command[(command.IndexOf('<') + 1)..command.IndexOf('>')];
                return "250 2.1.5 ok";
            case "DATA": return _refusedRecipients > 0 || recipient is null ? "554 5.5.1 no valid recipients" : "354 go ahead";
            case "AUTH" when command.StartsWith("AUTH PLAIN ", StringComparison.Ordinal):
                return Login is { } plain && Decode(command[11..]) == $"\0{plain.Username}\0{plain.Password}" ? "235 2.7.0 ok" : "535 5.7.8 bad login";
            case "AUTH" when command == "AUTH LOGIN":
                _loginStep = 1;
                return "334 VXNlcm5hbWU6";
            case "RSET": return "250 2.0.0 reset";
            case "NOOP": return "250 2.0.0 ok";
            case "QUIT": return "221 2.0.0 bye";
            default: return "502 5.5.2 not implemented";
        }
    }

    private static string Decode(string base64) => Encoding.UTF8.GetString(Convert.FromBase64String(base64.Trim()));

    /// <summary>The next complete command or message data in the buffer, taken out of it.</summary>
    private bool TryNext(List<byte> buffer, out (string Command, string? Data) item, ref State state)
    {
        item = default;
        var bytes = buffer.ToArray();
        if (state == State.Bdat)
        {
            if (bytes.Length < _bdatLeft) return false;
            var data = Encoding.UTF8.GetString(bytes, 0, _bdatLeft);
            RawData.Append(data);
            buffer.RemoveRange(0, _bdatLeft);
            state = State.Commands;
            item = ("<data>", data);
            return true;
        }
        var text = Encoding.UTF8.GetString(bytes);
        if (state == State.Data)
        {
            var end = text.StartsWith(".\r\n", StringComparison.Ordinal) ? 0 : text.IndexOf("\r\n.\r\n", StringComparison.Ordinal);
            if (end < 0) return false;
            var raw = end == 0 ? "" : text[..(end + 2)];
            RawData.Append(raw);
            var taken = Encoding.UTF8.GetByteCount(raw) + 3;
            buffer.RemoveRange(0, taken);
            state = State.Commands;
            var unstuffed = string.Join("\r\n", raw.Split("\r\n").Select(l => l.StartsWith('.') ? l[1..] : l));
            item = ("<data>", unstuffed);
            return true;
        }
        var lineEnd = text.IndexOf("\r\n", StringComparison.Ordinal);
        if (lineEnd < 0) return false;
        var line = text[..lineEnd];
        buffer.RemoveRange(0, Encoding.UTF8.GetByteCount(line) + 2);
        if (line.StartsWith("BDAT ", StringComparison.OrdinalIgnoreCase))
        {
            _bdatLeft = int.Parse(line.Split(' ')[1]);
            state = State.Bdat;
            // BDAT's reply is the message's: it is answered when its bytes are read.
            if (!TryNext(buffer, out var data, ref state)) throw new InvalidOperationException("BDAT bytes split across reads in a unit test");
            item = (line, data.Data);
            return true;
        }
        item = (line, null);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (OperationCanceledException)
        {
        }
    }
}

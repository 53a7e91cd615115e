using System.Net;
using System.Net.Sockets;
using System.Text;
using Dispatcher.Mail;

namespace Dispatcher.Tests.Mail;

/// <summary>RelayStream over a loopback socket pair: writes are held until MailKit flushes, never past a read, a big
/// message arrives whole, timeouts reach the socket, and a connection whose send failed closes quietly.</summary>
public sealed class RelayStreamTests : IDisposable
{
    private readonly Socket _peer;
    private readonly RelayStream _stream;

    public RelayStreamTests()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect((IPEndPoint)listener.LocalEndpoint);
        _peer = listener.AcceptSocket();
        _peer.ReceiveTimeout = 5_000;
        _stream = new RelayStream(client) { ReadTimeout = 5_000, WriteTimeout = 5_000 };
    }

    [Fact]
    public void Writes_are_held_until_a_flush_and_then_all_arrive()
    {
        var block = Enumerable.Repeat((byte)'x', 4096).ToArray();
        for (var i = 0; i < 3; i++) _stream.Write(block, 0, block.Length);

        Assert.False(_peer.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead), "something was sent before the flush");
        _stream.Flush();
        Assert.Equal(3 * 4096, ReceiveExactly(3 * 4096).Length);
    }

    [Fact]
    public async Task What_is_held_is_sent_before_a_read_so_a_reply_can_come()
    {
        _stream.Write("STARTTLS\r\n"u8);
        var answering = Task.Run(() =>
        {
            var command = Encoding.ASCII.GetString(ReceiveExactly(10));
            _peer.Send(Encoding.ASCII.GetBytes(command == "STARTTLS\r\n" ? "220 go ahead\r\n" : "500 what?\r\n"));
        });

        var reply = new byte[64];
        var read = _stream.Read(reply, 0, reply.Length); // without the flush, this waits for the 5 s timeout and throws
        Assert.Equal("220 go ahead\r\n", Encoding.ASCII.GetString(reply, 0, read));
        await answering;
    }

    [Fact]
    public async Task A_message_bigger_than_what_is_held_arrives_whole_and_in_order()
    {
        var message = Enumerable.Range(0, 400 * 1024).Select(i => (byte)(i * 31 % 251)).ToArray();
        var receiving = Task.Run(() => ReceiveExactly(message.Length));
        var at = 0;
        foreach (var size in new[] { 4096, 100 * 1024, 4096, 70 * 1024 })
            for (; at + size <= 300 * 1024; at += size) _stream.Write(message, at, size); // MailKit's blocks, and bigger ones
        _stream.Write(message.AsSpan(at));
        _stream.Flush();

        Assert.Equal(message, await receiving);
    }

    [Fact]
    public void Timeouts_set_by_MailKit_reach_the_socket()
    {
        Assert.True(_stream.CanTimeout); // MailKit sets Smtp:TimeoutSeconds only on a stream that says it can time out
        _stream.ReadTimeout = 300;

        Assert.Equal(300, _stream.ReadTimeout);
        Assert.Throws<IOException>(() => _stream.Read(new byte[16], 0, 16)); // the peer never answers
    }

    [Fact]
    public void After_a_send_failed_the_connection_closes_without_an_exception()
    {
        _peer.LingerState = new LingerOption(true, 0);
        _peer.Close(); // a reset: the relay is gone
        var block = new byte[4096];

        var failed = Record.Exception(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                _stream.Write(block, 0, block.Length);
                _stream.Flush();
            }
        });
        Assert.IsType<IOException>(failed);
        _stream.Write(block, 0, block.Length); // held, and never to be sent

        Assert.Null(Record.Exception(_stream.Dispose));
    }

    private byte[] ReceiveExactly(int count)
    {
        var received = new byte[count];
        using var peer = new NetworkStream(_peer, ownsSocket: false);
        peer.ReadExactly(received);
        return received;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _peer.Dispose();
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Dispatcher.TestSupport;

/// <summary>A TCP proxy on a loopback port that delays everything by half a round trip in each direction, as a relay
/// across a network would be (this kernel has no netem). Each chunk keeps its own deadline, so data in flight does not
/// wait for data ahead of it: latency, not a bandwidth limit.</summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly TimeSpan _oneWay;
    private int _connections;

    private LatencyProxy(string targetHost, int targetPort, TimeSpan roundTrip)
    {
        (_targetHost, _targetPort, _oneWay) = (targetHost, targetPort, roundTrip / 2);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(1024);
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static LatencyProxy Start(int targetPort, TimeSpan roundTrip, string targetHost = "127.0.0.1") => new(targetHost, targetPort, roundTrip);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        client.NoDelay = true;
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
        }
        catch (Exception)
        {
            client.Dispose();
            return;
        }
        using (client)
            await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
    }

    /// <summary>Reads as it comes and writes each chunk once its deadline has passed.</summary>
    private async Task PumpAsync(Socket from, Socket to)
    {
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Bytes, int Length)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writing = Task.Run(async () =>
        {
            try
            {
                await foreach (var (due, bytes, length) in chunks.Reader.ReadAllAsync(_stop.Token))
                {
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.Zero) await Task.Delay(wait, _stop.Token);
                    if (length == 0)
                    {
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }
                    await to.SendAsync(bytes.AsMemory(0, length), _stop.Token);
                }
            }
            catch (Exception)
            {
                // The other side went away, or the proxy stopped.
            }
        });
        try
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, _stop.Token);
                var due = Stopwatch.GetTimestamp() + (long)(_oneWay.TotalSeconds * Stopwatch.Frequency);
                chunks.Writer.TryWrite((due, buffer.AsSpan(0, read).ToArray(), read));
                if (read == 0) break;
            }
        }
        catch (Exception)
        {
            // Reset, or the proxy stopped.
        }
        chunks.Writer.TryComplete();
        await writing;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception)
        {
            // Stopped.
        }
    }
}

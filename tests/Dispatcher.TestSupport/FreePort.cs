using System.Net;
using System.Net.Sockets;

namespace Dispatcher.TestSupport;

public static class FreePort
{
    /// <summary>A loopback port nobody listens on just now, below the kernel's ephemeral range: a port the kernel hands
    /// out itself (bind to 0) can be taken by any test's outgoing connection before the process that is to listen on it
    /// has started — seen in CI as "address already in use".</summary>
    public static int Next()
    {
        var below = EphemeralLow();
        while (true)
        {
            var port = Random.Shared.Next(10_000, below);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Someone listens there: another.
            }
        }
    }

    private static int EphemeralLow()
    {
        try
        {
            var low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0]);
            return low > 11_000 ? low : 32_768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 32_768; // Linux's default
        }
    }
}

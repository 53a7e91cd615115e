using System.Net;
using System.Net.Sockets;

namespace Dispatcher.TestSupport;

public static class FreePort
{
    /// <summary>A loopback port nobody listens on just now: bound, noted, released.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

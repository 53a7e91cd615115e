using System.Net;
using System.Net.Sockets;

namespace Dispatcher.Hosting;

/// <summary>Refused by <see cref="PublicNetworks"/>: the address the host name led to is not on the public Internet.</summary>
public sealed class PrivateAddressException(string host) : Exception($"{host} is in a local or private network.");

/// <summary>Requests the server makes to addresses that users give it (feeds, webhooks) go to the public Internet
/// only: never loopback, the private networks (RFC 1918, RFC 4193), link-local (cloud metadata at 169.254.169.254),
/// CGNAT, multicast or reserved ranges — otherwise anyone who may add a feed could read the server's neighbours, or
/// use it to scan them. The check is made on the address actually connected to (after DNS, for every connection,
/// so also after every redirect), which a host name that resolves differently the second time cannot get around.</summary>
public static class PublicNetworks
{
    private static readonly IPNetwork[] NotPublic =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.0.2.0/24"),
        IPNetwork.Parse("192.88.99.0/24"), IPNetwork.Parse("192.168.0.0/16"), IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("198.51.100.0/24"),
        IPNetwork.Parse("203.0.113.0/24"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        // IPv6 outside global unicast (2000::/3) is refused below; within it, these are not public:
        IPNetwork.Parse("2001::/23"), IPNetwork.Parse("2001:db8::/32"), IPNetwork.Parse("3fff::/20"),
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (!GlobalUnicast.Contains(address)) return false; // loopback, ULA (fc00::/7), link-local, multicast, NAT64, …
            if (SixToFour.Contains(address)) return IsPublic(new IPAddress(address.GetAddressBytes()[2..6])); // 6to4 wraps an IPv4 address
        }
        else if (address.AddressFamily != AddressFamily.InterNetwork) return false;
        return !NotPublic.Any(network => network.Contains(address));
    }

    /// <summary>A handler that connects only where <paramref name="allowed"/> says (public addresses, unless private
    /// networks are allowed), follows at most five redirects, and never uses a proxy from the environment (which would
    /// make the address it connects to the proxy's).</summary>
    public static SocketsHttpHandler Handler(Func<IPAddress, bool> allowed) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = true,
        MaxAutomaticRedirections = 5,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2), // look the name up again now and then
        ConnectTimeout = TimeSpan.FromSeconds(10),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var permitted = addresses.Where(allowed).ToArray();
            if (permitted.Length == 0) throw new PrivateAddressException(host);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(permitted, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>A named HttpClient for user-given addresses; <paramref name="allowPrivate"/> is read from the options.</summary>
    public static IHttpClientBuilder AddPublicOnlyHttpClient(this IServiceCollection services, string name, Func<IServiceProvider, bool> allowPrivate) =>
        services.AddHttpClient(name).ConfigurePrimaryHttpMessageHandler(sp =>
        {
            var any = allowPrivate(sp);
            return Handler(address => any || IsPublic(address));
        });

    /// <summary>What to tell a user about a failed request: never the peer's own words or bytes.</summary>
    public static string Describe(HttpRequestException e) =>
        e.InnerException is PrivateAddressException ? "its address is in a local or private network, which is not allowed"
        : e.HttpRequestError == HttpRequestError.NameResolutionError ? "its host name does not resolve"
        : FindSocketError(e) == SocketError.ConnectionRefused ? "connection refused"
        : FindSocketError(e) is SocketError.TimedOut ? "the connection timed out"
        : e.HttpRequestError == HttpRequestError.SecureConnectionError ? "the TLS handshake failed"
        : e.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse ? "it did not answer with HTTP"
        : "it cannot be reached";

    private static SocketError? FindSocketError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is SocketException socket) return socket.SocketErrorCode;
        return null;
    }
}

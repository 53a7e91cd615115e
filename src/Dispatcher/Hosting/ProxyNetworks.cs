using System.Net;

namespace Dispatcher.Hosting;

/// <summary>Dispatcher:TrustedProxies entries: a single address ("10.0.0.5", "::1") or a CIDR range ("10.0.0.0/24").</summary>
public static class ProxyNetworks
{
    public static bool TryParse(string? text, out IPNetwork network)
    {
        network = default;
        var trimmed = text?.Trim() ?? "";
        if (IPAddress.TryParse(trimmed, out var address) && !trimmed.Contains('/'))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(trimmed, out network);
    }
}

using Dispatcher.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Dispatcher.Mail;

/// <summary>Absolute links for emails: Dispatcher:PublicBaseUrl, or else the address this process listens on.</summary>
public sealed class PublicUrls(IOptions<DispatcherOptions> options, IServer server, IConfiguration configuration)
{
    private string? _base;

    public string Base => _base ??= Resolve();

    public string Unsubscribe(string token) => $"{Base}/unsubscribe/{token}";

    public string Preferences(string token) => $"{Base}/preferences/{token}";

    public string Confirm(string token) => $"{Base}/confirm/{token}";

    private string Resolve()
    {
        if (!string.IsNullOrWhiteSpace(options.Value.PublicBaseUrl)) return options.Value.PublicBaseUrl.TrimEnd('/');
        var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                        ?? configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
                        ?? "http://127.0.0.1:5080";
        // A wildcard binding is not an address anyone can open.
        return listening.Replace("://+", "://localhost").Replace("://*", "://localhost")
            .Replace("://0.0.0.0", "://localhost").Replace("://[::]", "://localhost").TrimEnd('/');
    }
}

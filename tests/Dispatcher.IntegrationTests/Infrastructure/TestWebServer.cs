using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>A real web server (Kestrel) on a chosen loopback address — 127.0.0.1 or another of 127.0.0.0/8 — that
/// answers every request with the test's handler and counts the requests it saw.</summary>
public sealed class TestWebServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private TestWebServer(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<TestWebServer> StartAsync(Func<HttpContext, Task> handler, string address = "127.0.0.1")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{address}:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new TestWebServer(app);
        app.Run(context =>
        {
            Interlocked.Increment(ref server._requests);
            return handler(context);
        });
        await app.StartAsync();
        server.Address = new Uri(app.Urls.First());
        return server;
    }

    public string Url(string path) => new Uri(Address, path).ToString();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>A TCP service that is not HTTP (SSH, SMTP, Redis …): says its banner to whoever connects, then closes.</summary>
public sealed class BannerService : IDisposable
{
    private readonly System.Net.Sockets.TcpListener _listener = new(IPAddress.Loopback, 0);
    private int _connections;

    public BannerService(string banner)
    {
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    using var client = await _listener.AcceptTcpClientAsync();
                    Interlocked.Increment(ref _connections);
                    await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes(banner));
                }
                catch (Exception e) when (e is ObjectDisposedException or System.Net.Sockets.SocketException or IOException)
                {
                    return;
                }
            }
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Connections => Volatile.Read(ref _connections);

    public void Dispose() => _listener.Stop();
}

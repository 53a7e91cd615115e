using System.Net;
using System.Net.Http.Headers;

namespace Dispatcher.TestSupport;

/// <summary>The application as deployed: <c>dotnet Dispatcher.dll</c> as its own operating-system process, settings as
/// environment variables (<c>Section__Key</c>), reached over HTTP — for what needs a real process: kill -9, SIGTERM,
/// its own ports, its CPU and memory.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private AppProcess(ChildProcess process, Uri address)
    {
        Process = process;
        Address = address;
    }

    public ChildProcess Process { get; }
    public Uri Address { get; }
    public string Output => Process.Output;
    public int ExitCode => Process.ExitCode;

    /// <param name="settings">"Section:Key" or "Section__Key"; null values are left out.</param>
    /// <param name="dll">Dispatcher.dll; by default the one beside the calling test assembly (it references the app).</param>
    public static async Task<AppProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string? dll = null, string? logFile = null,
        TimeSpan? startTimeout = null)
    {
        var port = FreePort.Next();
        dll ??= Path.Combine(AppContext.BaseDirectory, "Dispatcher.dll");
        var environment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Testing", ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}" };
        foreach (var (key, value) in settings)
            if (value is not null && key != "urls") environment[key.Replace(":", "__")] = value;
        var process = ChildProcess.Start("dotnet", [dll], environment, logFile, workingDirectory: Path.GetDirectoryName(dll));
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"));

        using var http = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (startTimeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"The process exited with {process.ExitCode}:\n{app.Output}");
            try
            {
                using var health = await http.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK) return app;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The process did not become healthy:\n{app.Output}");
            await Task.Delay(200); // polling /health until the process is up
        }
    }

    /// <summary>A client of its HTTP address, with an API key when given.</summary>
    public HttpClient Client(string? apiKey = null, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    public void Kill() => Process.Kill();
    public Task TerminateAsync() => Process.TerminateAsync();
    public Task PauseAsync() => Process.PauseAsync();
    public Task ContinueAsync() => Process.ContinueAsync();
    public Task<bool> WaitForExitAsync(TimeSpan timeout) => Process.WaitForExitAsync(timeout);

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>The application as a real operating-system process (`dotnet Dispatcher.dll`), for faults that need one:
/// kill -9 and SIGTERM. Settings go in as environment variables (Section__Key), as in production.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private AppProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines it wrote, for failure messages.</summary>
    public string Output => string.Join('\n', _output.TakeLast(60));

    public static async Task<AppProcess> StartAsync(IReadOnlyDictionary<string, string?> settings)
    {
        var port = FreePort();
        // The test project's output holds the application, its templates and settings (it references the project).
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Dispatcher.dll"));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        foreach (var (key, value) in settings)
            if (value is not null && key != "urls") start.Environment[key.Replace(":", "__")] = value;

        var process = Process.Start(start)!;
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => app.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => app.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = app.Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
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
            await Task.Delay(200); // polling /health for the process to be up
        }
    }

    /// <summary>kill -9: no shutdown code runs, leases stay taken, whatever was sent but not recorded is not known.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>What systemd, Docker and Kubernetes send to stop a service.</summary>
    public async Task TerminateAsync()
    {
        var (exitCode, _, error) = await Command.RunAsync("kill", ["-TERM", _process.Id.ToString()]);
        if (exitCode != 0) throw new InvalidOperationException($"kill -TERM {_process.Id} failed: {error}");
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await WaitForExitAsync(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > 500) _output.TryDequeue(out _);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;

namespace Dispatcher.TestSupport;

/// <summary>A child process whose output is kept (its last lines, and all of it in a log file when given), killed with its
/// children when disposed.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StreamWriter? _log;

    private ChildProcess(Process process, StreamWriter? log)
    {
        _process = process;
        _log = log;
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>The last lines it wrote (stdout and stderr), for failure messages.</summary>
    public string Output => string.Join('\n', _lines);

    public static ChildProcess Start(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? logFile = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {file}");
        var child = new ChildProcess(process, logFile is null ? null : new StreamWriter(logFile) { AutoFlush = true });
        process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        while (_lines.Count > KeptLines) _lines.TryDequeue(out _);
        if (_log is not null) lock (_log) _log.WriteLine(line);
    }

    /// <summary>CPU time (user and system) the process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>Peak resident memory (VmHWM): everything, mapped assemblies and the JIT's double-mapped code included.</summary>
    public long? PeakRssMb() => StatusMb("VmHWM:");

    /// <summary>Resident private memory now (RssAnon): the heap and native allocations, without mapped files and code.</summary>
    public long? AnonRssMb() => StatusMb("RssAnon:");

    private long? StatusMb(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(':')[1].Trim().Split(' ')[0]) / 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>kill -9, with its children.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>What systemd, Docker and Kubernetes send to stop a service.</summary>
    public Task TerminateAsync() => SignalAsync("TERM");

    /// <summary>kill -STOP: frozen, as a VM paused or a process stuck for seconds; <see cref="ContinueAsync"/> thaws it.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    public Task ContinueAsync() => SignalAsync("CONT");

    private async Task SignalAsync(string signal)
    {
        var (exitCode, _, error) = await Command.RunAsync("kill", [$"-{signal}", _process.Id.ToString()]);
        if (exitCode != 0) throw new InvalidOperationException($"kill -{signal} {_process.Id} failed: {error}");
    }

    /// <summary>Whether it exited within the time.</summary>
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
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _log?.Dispose();
    }
}

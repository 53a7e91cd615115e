using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Dispatcher.Benchmarks;

public static class Ports
{
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A child process that is killed when disposed.</summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public static ChildProcess Start(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? logFile = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {file}");
        var log = logFile is null ? null : new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (process) log?.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (process) log?.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ChildProcess(process);
    }

    public bool HasExited => _process.HasExited;

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
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith(field));
            return line is null ? null : long.Parse(line.Split(':')[1].Trim().Split(' ')[0]) / 1024;
        }
        catch (IOException) { return null; }
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
    }

    public int ExitCode => _process.ExitCode;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>Postfix's smtp-sink: accepts and discards mail as fast as the machine allows.</summary>
public static class SmtpSink
{
    public static async Task<(ChildProcess Process, int Port)> StartAsync()
    {
        var port = Ports.Free();
        var arguments = new List<string>();
        if (Environment.UserName == "root") arguments.AddRange(["-u", "nobody"]);
        arguments.AddRange([$"127.0.0.1:{port}", "1024"]);
        var sink = ChildProcess.Start("/usr/sbin/smtp-sink", arguments);
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return (sink, port);
            }
            catch (SocketException) { await Task.Delay(50); }
        }
        throw new InvalidOperationException("smtp-sink did not start");
    }

    /// <summary>The limit: smtp-source → smtp-sink, same size, same number of connections, connections kept open.</summary>
    public static async Task<double> LimitAsync(int messages, int sessions, int size)
    {
        var (sink, port) = await StartAsync();
        await using (sink)
        {
            var watch = Stopwatch.StartNew();
            await using var source = ChildProcess.Start("/usr/sbin/smtp-source",
                ["-d", "-s", sessions.ToString(), "-l", size.ToString(), "-m", messages.ToString(), "-f", "news@example.org", "-t", "reader@example.org", $"127.0.0.1:{port}"]);
            await source.WaitForExitAsync(TimeSpan.FromMinutes(10));
            return messages / watch.Elapsed.TotalSeconds;
        }
    }
}

/// <summary>The app as deployed: `dotnet Dispatcher.dll` with environment variables, reached over HTTP.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    public const string ApiKey = "bench-admin-key-0123456789abcdef";

    private readonly ChildProcess _process;

    private AppProcess(ChildProcess process, HttpClient api)
    {
        _process = process;
        Api = api;
    }

    public HttpClient Api { get; }

    public ChildProcess Process => _process;

    public static async Task<AppProcess> StartAsync(string dll, IDictionary<string, string> settings, string logFile)
    {
        var port = Ports.Free();
        var environment = new Dictionary<string, string>(settings)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Dispatcher__Bootstrap__ApiKey"] = ApiKey,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Dispatcher"] = "Information",
            // What the Dockerfile sets: a gen0 budget of 16 MB instead of one sized from the CPU's cache.
            ["DOTNET_GCgen0size"] = "0x1000000",
        };
        var process = ChildProcess.Start("dotnet", [dll], environment, logFile);
        var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"The app exited at start; see {logFile}");
            try
            {
                if ((await api.GetAsync("/health")).IsSuccessStatusCode) return new AppProcess(process, api);
            }
            catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The app did not become healthy; see {logFile}");
    }

    public async Task<JsonNode> PostAsync(string path, object body)
    {
        using var response = await Api.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<JsonNode> GetAsync(string path) => JsonNode.Parse(await Api.GetStringAsync(path))!;

    /// <summary>Polls until the dispatch completes; returns the seconds from `start` to the dispatch's finishedAt.
    /// The API's answer counts the dispatch's Delivery rows (~0.2 s of database time at 200,000), which would slow what
    /// is measured: with <paramref name="completed"/> (a look at the dispatch row itself) the API is asked only once it
    /// says so. The time comes from the server's own finishedAt, so it is as precise as that.</summary>
    public async Task<(double Seconds, JsonNode Dispatch)> WaitForDispatchAsync(long dispatchId, Stopwatch start, TimeSpan timeout,
        Func<Task<bool>>? completed = null)
    {
        var startedAt = DateTime.UtcNow - start.Elapsed;
        while (start.Elapsed < timeout)
        {
            if (completed is not null && !await completed())
            {
                await Task.Delay(200);
                continue;
            }
            var dispatch = await GetAsync($"/api/dispatches/{dispatchId}");
            if (dispatch["status"]!.GetValue<string>() == "completed")
            {
                var finishedAt = dispatch["finishedAt"]!.GetValue<DateTime>().ToUniversalTime();
                return ((finishedAt - startedAt).TotalSeconds, dispatch);
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"Dispatch {dispatchId} did not complete in {timeout}");
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await _process.DisposeAsync();
    }
}

/// <summary>Puts N confirmed, personalised subscribers on a list straight into the database (the API would take minutes).</summary>
public static class Seeder
{
    /// <summary>Whether the dispatch row says completed: one row by its key, nothing counted.</summary>
    public static async Task<bool> IsCompletedAsync(string database, string connectionString, long dispatchId)
    {
        const string sql = "SELECT finished_at IS NOT NULL FROM dispatches WHERE id = {0} AND status = 4"; // DispatchStatus.Completed
        if (database == "Postgres")
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(string.Format(sql, dispatchId), connection);
            return await command.ExecuteScalarAsync() is true;
        }
        await using var sqlite = new SqliteConnection(connectionString);
        await sqlite.OpenAsync();
        await using var query = sqlite.CreateCommand();
        query.CommandText = string.Format(sql, dispatchId);
        return await query.ExecuteScalarAsync() is 1L;
    }

    public static async Task SeedAsync(string database, string connectionString, string listSlug, int count, string prefix, int cadence = 0)
    {
        var now = DateTime.UtcNow;
        if (database == "Postgres")
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using (var copy = await connection.BeginBinaryImportAsync("COPY subscribers (email, name, created_at) FROM STDIN (FORMAT BINARY)"))
            {
                for (var i = 0; i < count; i++)
                {
                    await copy.StartRowAsync();
                    await copy.WriteAsync($"{prefix}{i}@example.org");
                    await copy.WriteAsync($"Reader {i}");
                    await copy.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                }
                await copy.CompleteAsync();
            }
            await using var subscribe = new NpgsqlCommand("""
                INSERT INTO subscriptions (subscriber_id, list_id, status, cadence, alerts, created_at, updated_at, confirmed_at, digest_cursor)
                SELECT s.id, l.id, 1, @cadence, true, @now, @now, @now, 0 FROM subscribers s, lists l WHERE l.slug = @slug AND s.email LIKE @prefix
                """, connection);
            subscribe.Parameters.AddWithValue("now", now);
            subscribe.Parameters.AddWithValue("slug", listSlug);
            subscribe.Parameters.AddWithValue("prefix", prefix + "%");
            subscribe.Parameters.AddWithValue("cadence", cadence);
            await subscribe.ExecuteNonQueryAsync();
        }
        else
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync();
            await using var transaction = connection.BeginTransaction();
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO subscribers (email, name, created_at) VALUES ($email, $name, $now)";
            var email = insert.Parameters.Add("$email", SqliteType.Text);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            insert.Parameters.AddWithValue("$now", now);
            for (var i = 0; i < count; i++)
            {
                email.Value = $"{prefix}{i}@example.org";
                name.Value = $"Reader {i}";
                await insert.ExecuteNonQueryAsync();
            }
            await using var subscribe = connection.CreateCommand();
            subscribe.CommandText = """
                INSERT INTO subscriptions (subscriber_id, list_id, status, cadence, alerts, created_at, updated_at, confirmed_at, digest_cursor)
                SELECT s.id, l.id, 1, $cadence, 1, $now, $now, $now, 0 FROM subscribers s, lists l WHERE l.slug = $slug AND s.email LIKE $prefix
                """;
            subscribe.Parameters.AddWithValue("$now", now);
            subscribe.Parameters.AddWithValue("$slug", listSlug);
            subscribe.Parameters.AddWithValue("$prefix", prefix + "%");
            subscribe.Parameters.AddWithValue("$cadence", cadence);
            await subscribe.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
        }
    }

    public static async Task<string> CreatePostgresDatabaseAsync()
    {
        var server = Environment.GetEnvironmentVariable("DISPATCHER_TEST_POSTGRES") ?? throw new InvalidOperationException("DISPATCHER_TEST_POSTGRES is not set");
        var name = $"bench_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(server + ";Database=postgres");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return $"{server};Database={name}";
    }

    public static async Task<string> CreateRabbitMqVirtualHostAsync()
    {
        var ctl = Environment.GetEnvironmentVariable("DISPATCHER_TEST_RABBITMQCTL") ?? throw new InvalidOperationException("DISPATCHER_TEST_RABBITMQCTL is not set");
        var name = $"bench-{Guid.NewGuid():N}";
        foreach (var arguments in new[] { new[] { "add_vhost", name }, ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"] })
        {
            await using var process = ChildProcess.Start(ctl, arguments);
            await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }
        return name;
    }
}

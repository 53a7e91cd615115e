using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Dispatcher.TestSupport;
using Npgsql;

namespace Dispatcher.Benchmarks;

/// <summary>Postfix's smtp-sink: accepts and discards mail as fast as the machine allows.</summary>
public static class SmtpSink
{
    public static async Task<(ChildProcess Process, int Port)> StartAsync()
    {
        var port = FreePort.Next();
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

/// <summary>The app as deployed (a <see cref="AppProcess"/>), with an admin key and what the benchmarks ask of its API.</summary>
public sealed class BenchApp : IAsyncDisposable
{
    public const string ApiKey = "bench-admin-key-0123456789abcdef";

    private readonly AppProcess _app;

    private BenchApp(AppProcess app)
    {
        _app = app;
        Api = app.Client(ApiKey, TimeSpan.FromMinutes(5));
    }

    public HttpClient Api { get; }

    public ChildProcess Process => _app.Process;

    public static async Task<BenchApp> StartAsync(string dll, IDictionary<string, string> settings, string logFile)
    {
        var environment = new Dictionary<string, string?>(settings.ToDictionary(s => s.Key, s => (string?)s.Value))
        {
            ["Dispatcher__Bootstrap__ApiKey"] = ApiKey,
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Dispatcher"] = "Information",
            // What the Dockerfile sets: a gen0 budget of 16 MB instead of one sized from the CPU's cache, and no ReadyToRun code.
            ["DOTNET_GCgen0size"] = "0x1000000",
            ["DOTNET_ReadyToRun"] = "0",
        };
        // Runtime settings to try on the app alone, not on the bench and its latency proxy: BENCH_APP_ENV="DOTNET_X=1;DOTNET_Y=0".
        foreach (var pair in (Environment.GetEnvironmentVariable("BENCH_APP_ENV") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
            if (pair.Split('=', 2, StringSplitOptions.TrimEntries) is [var name, var value]) environment[name] = value;
        return new BenchApp(await AppProcess.StartAsync(environment, dll, logFile));
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
        await _app.DisposeAsync();
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
}

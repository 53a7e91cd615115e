using Npgsql;

namespace Dispatcher.TestSupport;

/// <summary>The real PostgreSQL and RabbitMQ that tests/lib/services.sh starts, named in DISPATCHER_TEST_* variables.
/// Every user gets a database and a virtual host of its own, so tests and benchmarks run side by side without meeting.</summary>
public static class RealServices
{
    public static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run through tests/run.sh (or tests/bench.sh), which starts PostgreSQL and RabbitMQ.");

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreatePostgresDatabaseAsync(string prefix = "t")
    {
        var server = Require("DISPATCHER_TEST_POSTGRES");
        var name = $"{prefix}_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(server + ";Database=postgres"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        return $"{server};Database={name}";
    }

    public static (string Host, int Port) RabbitMq => HostAndPort("DISPATCHER_TEST_RABBITMQ");

    /// <summary>Creates a virtual host open to guest and returns its name.</summary>
    public static async Task<string> CreateRabbitMqVirtualHostAsync(string prefix = "t")
    {
        var name = $"{prefix}-{Guid.NewGuid():N}";
        await RabbitMqCtlAsync("add_vhost", name);
        await RabbitMqCtlAsync("set_permissions", "-p", name, "guest", ".*", ".*", ".*");
        return name;
    }

    public static async Task<string> RabbitMqCtlAsync(params string[] arguments)
    {
        var (exitCode, output, error) = await Command.RunAsync(Require("DISPATCHER_TEST_RABBITMQCTL"), arguments);
        if (exitCode != 0) throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', arguments)} failed: {error}");
        return output;
    }

    public static (string Host, int Port) HostAndPort(string variable)
    {
        var parts = Require(variable).Split(':');
        return (parts[0], int.Parse(parts[1]));
    }
}

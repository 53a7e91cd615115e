using Npgsql;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>The real PostgreSQL and RabbitMQ that tests/run.sh starts; their addresses come in DISPATCHER_TEST_* variables.
/// Every test host gets a database and a virtual host of its own, so tests run side by side without seeing each other.</summary>
public static class TestServices
{
    private static string Require(string variable) => RealServices.Require(variable);

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static Task<string> CreatePostgresDatabaseAsync() => RealServices.CreatePostgresDatabaseAsync();

    /// <summary>Takes one test's database away (no new connections, the open ones terminated) or brings it back — a
    /// database outage for that test alone, while the cluster keeps serving the others.</summary>
    public static async Task SetPostgresDatabaseOnlineAsync(string connectionString, bool online)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        await using var connection = new NpgsqlConnection(Require("DISPATCHER_TEST_POSTGRES") + ";Database=postgres");
        await connection.OpenAsync();
        await using var allow = new NpgsqlCommand($"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS {(online ? "true" : "false")}", connection);
        await allow.ExecuteNonQueryAsync();
        if (online) return;
        await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name", connection);
        terminate.Parameters.AddWithValue("name", name);
        await terminate.ExecuteNonQueryAsync();
    }

    /// <summary>Stops the shared RabbitMQ node (every virtual host goes with it); only for tests in <see cref="BrokerRestarts"/>.</summary>
    public static Task StopRabbitMqAsync() => RabbitMqCtlAsync("shutdown");

    public static async Task StartRabbitMqAsync()
    {
        // The node outlives this call: give it /dev/null, not a pipe of ours (or of the test run's) to hold open.
        await Command.RunAsync("bash", ["-c", "exec \"$0\" -detached </dev/null >/dev/null 2>&1", Require("DISPATCHER_TEST_RABBITMQ_SERVER")]);
        await RabbitMqCtlAsync("wait", "--timeout", "60", Require("DISPATCHER_TEST_RABBITMQ_PIDFILE"));
    }

    /// <summary>The throwaway Dovecot: any user name logs in with <see cref="MailboxPassword"/> and has a mailbox of its own.</summary>
    public static (string Host, int Port) Imap => RealServices.HostAndPort("DISPATCHER_TEST_IMAP");

    public static (string Host, int Port) Pop3 => RealServices.HostAndPort("DISPATCHER_TEST_POP3");

    public const string MailboxPassword = "secret";

    public static (string Host, int Port) RabbitMq => RealServices.RabbitMq;

    /// <summary>Creates a virtual host open to guest and returns its name.</summary>
    public static Task<string> CreateRabbitMqVirtualHostAsync() => RealServices.CreateRabbitMqVirtualHostAsync();

    public static Task<string> RabbitMqCtlAsync(params string[] arguments) => RealServices.RabbitMqCtlAsync(arguments);
}

using Dispatcher.TestSupport;
namespace Dispatcher.Benchmarks;

/// <summary>The environment of the app process for each stack the benchmarks compare.</summary>
public static class Stacks
{
    public static string Describe(string stack, int workers = 0) =>
        (stack == "rabbitmq" ? "RabbitMQ + PostgreSQL, " : "in-memory + SQLite, ")
        + (workers == 0 ? "1 process" : $"web + {workers} worker{(workers > 1 ? "s" : "")}");

    /// <returns>The environment, and the database kind and connection string (for seeding).</returns>
    public static async Task<(Dictionary<string, string> Settings, string Database, string ConnectionString)> SettingsAsync(string stack, int smtpPort)
    {
        var settings = new Dictionary<string, string>
        {
            ["Smtp__Host"] = "127.0.0.1",
            ["Smtp__Port"] = smtpPort.ToString(),
            ["Smtp__Security"] = "None",
            ["Dispatcher__PublicBaseUrl"] = "https://dispatch.example.org",
            ["Mail__FromAddress"] = "news@example.org",
        };
        string database, connectionString;
        if (stack == "rabbitmq")
        {
            database = "Postgres";
            connectionString = await RealServices.CreatePostgresDatabaseAsync("bench");
            var rabbit = Environment.GetEnvironmentVariable("DISPATCHER_TEST_RABBITMQ")!.Split(':');
            settings["Dispatcher__Bus"] = "RabbitMq";
            settings["RabbitMq__Host"] = rabbit[0];
            settings["RabbitMq__Port"] = rabbit[1];
            settings["RabbitMq__VirtualHost"] = await RealServices.CreateRabbitMqVirtualHostAsync("bench");
            settings["DataProtection__Key"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)); // one run's Web processes share it
        }
        else
        {
            database = "Sqlite";
            connectionString = $"Data Source={Path.Combine(Directory.CreateTempSubdirectory("dispatcher-bench-").FullName, "dispatcher.db")}";
        }
        settings["Dispatcher__Database"] = database;
        settings["ConnectionStrings__Dispatcher"] = connectionString;
        return (settings, database, connectionString);
    }
}

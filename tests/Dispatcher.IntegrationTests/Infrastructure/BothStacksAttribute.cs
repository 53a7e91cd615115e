using System.Reflection;
using Xunit.Sdk;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>Runs a theory once on each <see cref="Stack"/>: the embedded default, and RabbitMQ with PostgreSQL.</summary>
public sealed class BothStacksAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) =>
        [[Stack.InMemorySqlite], [Stack.RabbitMqPostgres]];
}

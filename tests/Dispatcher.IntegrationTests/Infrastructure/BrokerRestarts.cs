namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>Tests that stop and start the shared RabbitMQ node. They run on their own, after the parallel tests,
/// because every other RabbitMQ test would lose its broker too.</summary>
[CollectionDefinition(nameof(BrokerRestarts), DisableParallelization = true)]
public sealed class BrokerRestarts;

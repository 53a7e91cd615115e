using System.Reflection;
using MassTransit;
using NetArchTest.Rules;

namespace Dispatcher.Tests.Architecture;

/// <summary>The dependency rules of docs/architecture.md, on the compiled app (NetArchTest reads its IL).</summary>
public sealed class DependencyRules
{
    private static readonly Assembly App = typeof(Program).Assembly;

    private static readonly string[] Features =
        ["Statements", "Alerts", "Digests", "Feeds", "Subscribers", "Lists", "Bounces", "Dispatching", "Admin", "Public"];

    private static void AssertHolds(TestResult result, string rule) =>
        Assert.True(result.IsSuccessful, $"{rule}; broken by: {string.Join(", ", result.FailingTypeNames ?? [])}");

    [Fact]
    public void Mail_knows_no_feature_so_Dispatching_and_Mail_depend_one_way()
    {
        var result = Types.InAssembly(App).That().ResideInNamespaceStartingWith("Dispatcher.Mail")
            .ShouldNot().HaveDependencyOnAny(Features.Select(f => $"Dispatcher.{f}").ToArray()).GetResult();

        AssertHolds(result, "Mail uses no feature folder");
    }

    [Fact]
    public void Dispatching_serves_the_features_that_send_and_knows_none_of_them()
    {
        // It plans from people and lists (Subscribers, Lists); what is sent and why is the sending features' business,
        // and the bounce policy reaches it through IRelayBounces.
        var result = Types.InAssembly(App).That().ResideInNamespaceStartingWith("Dispatcher.Dispatching")
            .ShouldNot().HaveDependencyOnAny("Dispatcher.Statements", "Dispatcher.Alerts", "Dispatcher.Digests", "Dispatcher.Feeds", "Dispatcher.Bounces")
            .GetResult();

        AssertHolds(result, "Dispatching uses none of Statements, Alerts, Digests, Feeds, Bounces");
    }

    [Fact]
    public void Admin_and_Public_call_features_never_the_reverse()
    {
        var result = Types.InAssembly(App).That().ResideInNamespaceStartingWith("Dispatcher")
            .And().DoNotResideInNamespaceStartingWith("Dispatcher.Admin")
            .And().DoNotResideInNamespaceStartingWith("Dispatcher.Public")
            .ShouldNot().HaveDependencyOnAny("Dispatcher.Admin", "Dispatcher.Public").GetResult();

        AssertHolds(result, "nothing but Admin and Public uses Admin or Public");
    }

    [Fact]
    public void Every_message_on_the_bus_is_a_contract_in_Messages_with_a_pinned_name()
    {
        var consumed = App.GetTypes()
            .SelectMany(t => t.GetInterfaces())
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
            .Select(i => i.GetGenericArguments()[0])
            .Where(m => !m.IsGenericParameter && !(m.IsGenericType && m.GetGenericTypeDefinition() == typeof(Fault<>)))
            .Distinct().ToList();

        Assert.NotEmpty(consumed);
        Assert.All(consumed, m => Assert.Equal("Dispatcher.Messages", m.Namespace));
        Assert.All(Messages.MessageContracts.All, m =>
        {
            Assert.NotNull(m.GetCustomAttribute<MessageUrnAttribute>());
            Assert.NotNull(m.GetCustomAttribute<EntityNameAttribute>());
        });
        Assert.Subset(Messages.MessageContracts.All.ToHashSet(), consumed.ToHashSet());
    }
}

using System.Text.RegularExpressions;

namespace Dispatcher.Tests.Security;

/// <summary>docker-compose.yml is what operators copy: it must not ship a secret anyone can read here, nor publish
/// anything but the web port.</summary>
public sealed partial class ComposeTests
{
    private static readonly string Root = FindRoot(AppContext.BaseDirectory);
    private static readonly string Compose = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));

    private static string FindRoot(string folder) =>
        File.Exists(Path.Combine(folder, "Dispatcher.sln")) ? folder : FindRoot(Path.GetDirectoryName(folder) ?? throw new InvalidOperationException("No Dispatcher.sln above the tests."));

    [Fact]
    public void No_secret_has_a_default_and_every_required_one_is_in_env_example()
    {
        var variables = Variable().Matches(Compose).Select(m => (Name: m.Groups["name"].Value, Rule: m.Groups["rule"].Value, Default: m.Groups["default"].Value)).ToList();
        var secrets = variables.Where(v => SecretName().IsMatch(v.Name)).ToList();
        var example = File.ReadAllText(Path.Combine(Root, ".env.example"));

        Assert.NotEmpty(secrets);
        Assert.All(secrets, s => Assert.True(s.Rule == ":?" || (s.Rule == ":-" && s.Default == ""), $"{s.Name} has the default '{s.Default}'"));
        Assert.All(variables.Where(v => v.Rule == ":?").Select(v => v.Name).Distinct(), name => Assert.Matches($"(?m)^{name}=", example));
        Assert.DoesNotContain("change-me", Compose);
    }

    [Fact]
    public void Only_the_web_service_publishes_a_port()
    {
        var services = Service().Matches(Compose).Select(m => (Name: m.Groups["name"].Value, Body: m.Groups["body"].Value)).ToList();

        Assert.Contains(services, s => s.Name == "web");
        Assert.All(services.Where(s => s.Name != "web"), s => Assert.DoesNotContain("ports:", s.Body));
        Assert.DoesNotContain("management", Compose); // RabbitMQ's management UI is not shipped
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Z_]+)(?<rule>:[-?])(?<default>[^}]*)\}")]
    private static partial Regex Variable();

    [GeneratedRegex("PASSWORD|KEY|SECRET|TOKEN")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?ms)^  (?<name>[a-z]+):\n(?<body>.*?)(?=^  [a-z]+:\n|^\S|\z)")]
    private static partial Regex Service();
}

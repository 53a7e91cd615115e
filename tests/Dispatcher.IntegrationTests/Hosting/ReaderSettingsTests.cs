using Dispatcher.TestSupport;

namespace Dispatcher.IntegrationTests.Hosting;

/// <summary>Settings checked at start beyond their type (the organisation's reader settings, the broker's nodes, the
/// worker heartbeat): a bad one stops it with one line naming it.</summary>
public sealed class ReaderSettingsTests
{
    [Theory]
    [InlineData("--Dispatcher:TimeZone=Mars/Olympus_Mons", "Dispatcher:TimeZone: 'Mars/Olympus_Mons' is not an IANA time zone")]
    [InlineData("--Dispatcher:Languages=en,klingon-xx", "Dispatcher:Languages: 'klingon-xx' is not a language tag")]
    [InlineData("--Dispatcher:DefaultLanguage=ja", "Dispatcher:DefaultLanguage 'ja' must be one of Dispatcher:Languages (en,de,es,fr,tr,ko,ar)")]
    [InlineData("--Digests:LocalTime=breakfast", "Digests:LocalTime: 'breakfast' is not a time of day (e.g. 07:00).")]
    [InlineData("--Digests:WeeklyDay=Caturday", "Digests:WeeklyDay: 'Caturday' is not a day of the week (e.g. Monday).")]
    [InlineData("--OpenTelemetry:Endpoint=otel-collector:4317", "OpenTelemetry:Endpoint must be an http or https URL")]
    [InlineData("--RabbitMq:Hosts=rabbit-1:5672,rabbit-2:99999", "RabbitMq:Hosts: 'rabbit-2:99999' is not host:port (e.g. rabbit-1:5672).")]
    [InlineData("--Dispatching:WorkerDeadAfter=00:00:01", "Dispatching:WorkerDeadAfter (00:00:01) must be at least twice Dispatching:HeartbeatInterval (00:00:01).")]
    [InlineData("--Webhooks:KeepFor=00:05:00", "Webhooks:KeepFor (00:05:00) must be at least an hour (e.g. 30.00:00:00 for 30 days).")]
    public async Task A_bad_reader_setting_stops_the_start_with_one_line_naming_it(string setting, string message)
    {
        var folder = Directory.CreateTempSubdirectory("dispatcher-readers-").FullName;

        var (exitCode, _, error) = await Command.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Dispatcher.dll"), "--urls", "http://127.0.0.1:0", $"--ConnectionStrings:Dispatcher=Data Source={folder}/data/dispatcher.db", setting],
            folder);

        Assert.Equal(1, exitCode);
        Assert.Contains(message, error);
        Assert.Equal(2, error.Trim().Split('\n').Length); // "Dispatcher cannot start:" and the line that says why
    }
}

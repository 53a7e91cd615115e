namespace Dispatcher.Mail;

/// <summary>What a process does at start so that its first send is as quick as the next: the templates compiled (Web and
/// single-process), the alert lane's connections open and logged in (processes that send). /health answers 503 "warming
/// up" until both are done, so a load balancer or an orchestrator sends it nothing before.</summary>
public sealed class StartupWarmUp(bool compilesTemplates, bool opensAlertLane)
{
    /// <summary>How long start-up waits for the alert lane's connections before it says ready anyway (a relay that does
    /// not answer is the relay check's to report).</summary>
    public static readonly TimeSpan AlertLaneWait = TimeSpan.FromSeconds(15);

    private volatile bool _templates = !compilesTemplates, _alertLane = !opensAlertLane;

    public bool IsDone => _templates && _alertLane;

    /// <summary>What it is still doing, for /health.</summary>
    public string Doing => string.Join(" and ", new[]
    {
        _templates ? null : "compiling the email templates",
        _alertLane ? null : "opening the alert lane's connections",
    }.OfType<string>());

    public void TemplatesCompiled() => _templates = true;

    public void AlertLaneOpened() => _alertLane = true;
}

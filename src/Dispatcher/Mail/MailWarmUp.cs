using Dispatcher.Hosting;

namespace Dispatcher.Mail;

/// <summary>Compiles the email templates and renders a sample of each, so the first dispatch waits neither for Roslyn
/// nor for the first run of the rendering code. A template that does not compile is reported again, with the
/// compiler's message, when it is used.</summary>
public sealed class TemplateWarmUp(EmailRenderer renderer, IEnumerable<ITemplateSamples> samples, PublicUrls urls) : IWarmUpStep
{
    public string Doing => "compiling the email templates";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await renderer.WarmUpAsync(cancellationToken);
        foreach (var sample in samples.SelectMany(s => s.All(urls.Base)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await renderer.TrySampleAsync(sample);
        }
    }
}

/// <summary>Opens the alert lane's own SMTP connections when a sending process starts, so the first alert finds them
/// open; <see cref="RelayConnections"/> keeps them so. Start-up says ready once they are, or after
/// <see cref="Wait"/> without: a relay that does not answer is the relay check's to report, and the connections open
/// when it answers.</summary>
public sealed class AlertLaneWarmUp(RelayConnections connections) : IWarmUpStep
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    public string Doing => "opening the alert lane's connections";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        connections.KeepAlertConnectionsOpen();
        try
        {
            await connections.AlertLaneOpen.WaitAsync(Wait, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
    }
}

namespace Dispatcher.Mail;

/// <summary>Compiles the email templates in the background at start and renders a sample of each, so the first dispatch
/// waits neither for Roslyn nor for the first run of the rendering code; /health says "warming up" until it is done.</summary>
public sealed class TemplateWarmup(EmailRenderer renderer, StartupWarmUp warmUp, IEnumerable<ITemplateSamples> samples, PublicUrls urls,
    ILogger<TemplateWarmup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await renderer.WarmUpAsync(stoppingToken);
            foreach (var sample in samples.SelectMany(s => s.All(urls.Base)))
            {
                stoppingToken.ThrowIfCancellationRequested();
                await renderer.TrySampleAsync(sample); // a failure is reported when the template is used
            }
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // A template that does not compile is reported again, with the compiler's message, when it is used.
            logger.LogError(e, "Compiling the email templates in {Path} failed", renderer.TemplatesPath);
        }
        finally
        {
            warmUp.TemplatesCompiled();
        }
    }
}

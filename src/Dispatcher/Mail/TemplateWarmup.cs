namespace Dispatcher.Mail;

/// <summary>Compiles the email templates in the background at start, so the first dispatch does not wait for Roslyn.</summary>
public sealed class TemplateWarmup(EmailRenderer renderer, ILogger<TemplateWarmup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await renderer.WarmUpAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // A template that does not compile is reported again, with the compiler's message, when it is used.
            logger.LogError(e, "Compiling the email templates in {Path} failed", renderer.TemplatesPath);
        }
    }
}

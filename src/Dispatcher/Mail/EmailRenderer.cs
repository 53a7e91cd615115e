using RazorLight;

namespace Dispatcher.Mail;

/// <summary>Renders the Razor email templates in Templates:Path with RazorLight. Each template is compiled once per
/// process (RazorLight caches it); each dispatch renders it once per variant (with and without a name), inlines the CSS
/// (PreMailer.Net) and derives the plain text, leaving only the per-person placeholders to fill.</summary>
public sealed class EmailRenderer
{
    private readonly RazorLightEngine _engine;

    public EmailRenderer(string templatesPath)
    {
        TemplatesPath = templatesPath;
        _engine = new RazorLightEngineBuilder()
            .UseFileSystemProject(templatesPath, ".cshtml")
            .SetOperatingAssembly(typeof(EmailRenderer).Assembly)
            .UseMemoryCachingProvider()
            .Build();
    }

    public string TemplatesPath { get; }

    /// <summary>Compiles <paramref name="template"/> (e.g. "Statement") for one dispatch.</summary>
    public async Task<CompiledEmail> CompileAsync(string template, string subject, Func<EmailRecipient, EmailModel> modelFor)
    {
        var placeholders = new CompiledEmail.Placeholders();
        var withName = await RenderVariantAsync(template, modelFor(placeholders.Recipient(hasName: true)));
        var withoutName = await RenderVariantAsync(template, modelFor(placeholders.Recipient(hasName: false)));
        return CompiledEmail.Create(subject, placeholders, withName, withoutName);
    }

    /// <summary>Compiles every template once, so the first dispatch after a start does not wait for Roslyn (~2 s).</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        foreach (var file in Directory.EnumerateFiles(TemplatesPath, "*.cshtml"))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetFileNameWithoutExtension(file);
            if (!name.StartsWith('_')) await _engine.CompileTemplateAsync(name);
        }
    }

    private async Task<(string Html, string Text)> RenderVariantAsync(string template, EmailModel model)
    {
        var html = await _engine.CompileRenderAsync(template, model);
        var inlined = PreMailer.Net.PreMailer.MoveCssInline(html, removeStyleElements: false, removeComments: true).Html;
        return (inlined, HtmlToText.Convert(inlined));
    }
}

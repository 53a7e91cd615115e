using Dispatcher.Mail.Branding;
using Dispatcher.Mail.Templates;
using RazorLight;
using RazorLight.Compilation;
using RazorLight.Generation;

namespace Dispatcher.Mail;

/// <summary>A template rendered for a made-up subscriber: what previews show.</summary>
public sealed record TemplateSample(string Template, string Subject, Func<EmailRecipient, EmailModel> Model, Personalisation Person);

/// <summary>Samples of the emails a process renders, rendered once at start (<see cref="TemplateWarmUp"/>) so that the
/// first real one does not pay for the first run of the templates, the CSS inliner and the text conversion.</summary>
public interface ITemplateSamples
{
    IEnumerable<TemplateSample> All(string baseUrl);
}

/// <summary>Renders the Razor email templates with RazorLight. Each template is compiled once per process (RazorLight
/// caches it until the template changes); each dispatch renders it once per variant (with and without a name),
/// inlines the CSS (PreMailer.Net) and derives the plain text, leaving only the per-person placeholders to fill.</summary>
public sealed class EmailRenderer
{
    private readonly TemplateSource _source;
    private readonly BrandingSource _branding;
    private readonly RazorLightEngine _engine;
    private long _renders;

    /// <summary>Templates from files only and the default branding (tests, tools).</summary>
    public EmailRenderer(string templatesPath, string organisationName = "Dispatcher")
        : this(new TemplateSource(templatesPath), new BrandingSource(null, organisationName)) { }

    public EmailRenderer(TemplateSource source, BrandingSource branding)
    {
        _source = source;
        _branding = branding;
        _engine = Engine(new TemplateProject(source));
    }

    public BrandingSource Branding => _branding;

    public string TemplatesPath => _source.Folder;

    public TemplateSource Source => _source;

    /// <summary>How many emails this process has rendered for dispatches (for tests: a worker that finds its dispatch's
    /// email kept in the database renders none).</summary>
    public long Renders => Interlocked.Read(ref _renders);

    /// <summary>Compiles <paramref name="template"/> (e.g. "Statement") for one dispatch, with the fixed words of
    /// <paramref name="language"/> (the readers').</summary>
    public async Task<CompiledEmail> CompileAsync(string template, string subject, Func<EmailRecipient, EmailModel> modelFor, string language = "en")
    {
        Interlocked.Increment(ref _renders);
        await _source.RefreshAsync(CancellationToken.None);
        var brand = await _branding.GetAsync(CancellationToken.None);
        return await CompileWithAsync(_engine, template, subject, Branded(modelFor, brand, template, language));
    }

    /// <summary>Compiles every template once, so the first dispatch after a start does not wait for Roslyn (~2 s).</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await _source.RefreshAsync(cancellationToken);
        foreach (var name in _source.Names().Where(n => !n.StartsWith('_')))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await _engine.CompileTemplateAsync(name);
        }
    }

    /// <summary>Every model the template renders gets the branding, and this template's text blocks.</summary>
    private static Func<EmailRecipient, EmailModel> Branded(Func<EmailRecipient, EmailModel> modelFor, Brand brand, string template,
        string language = "en") => recipient =>
    {
        var model = modelFor(recipient);
        model.Brand = brand;
        model.Texts = brand.TextsFor(template);
        model.Language = language;
        model.Words = EmailWords.For(language);
        return model;
    };

    /// <summary>Renders a sample — a model for a made-up subscriber — as the templates stand, with a candidate branding
    /// (the "Email content" page's preview, before it is saved), or with candidate Razor source for one template (only
    /// where Templates:AllowCodeEditing is on). Returns the email, or the compiler's message.</summary>
    public async Task<(RenderedBody? Body, string? Subject, string? Error)> TrySampleAsync(TemplateSample sample,
        Brand? candidateBrand = null, (string Name, string Source)? candidate = null)
    {
        try
        {
            await _source.RefreshAsync(CancellationToken.None);
            var brand = candidateBrand ?? await _branding.GetAsync(CancellationToken.None);
            var engine = candidate is { } edit ? Engine(new TemplateProject(_source, edit.Name, edit.Source)) : _engine;
            var email = await CompileWithAsync(engine, sample.Template, sample.Subject, Branded(sample.Model, brand, sample.Template));
            return (email.For(sample.Person), email.Subject, null);
        }
        catch (TemplateCompilationException e)
        {
            return (null, null, string.Join(Environment.NewLine, e.CompilationErrors));
        }
        catch (TemplateGenerationException e)
        {
            return (null, null, string.Join(Environment.NewLine, e.Diagnostics.Select(d => d.ToString())));
        }
        catch (Exception e) when (e is RazorLightException or InvalidOperationException or NullReferenceException or ArgumentException or FormatException)
        {
            return (null, null, $"The template compiled but failed while rendering: {e.Message}");
        }
    }

    private static async Task<CompiledEmail> CompileWithAsync(RazorLightEngine engine, string template, string subject, Func<EmailRecipient, EmailModel> modelFor)
    {
        var placeholders = new CompiledEmail.Placeholders();
        var withName = await RenderVariantAsync(engine, template, modelFor(placeholders.Recipient(hasName: true)));
        var withoutName = await RenderVariantAsync(engine, template, modelFor(placeholders.Recipient(hasName: false)));
        return CompiledEmail.Create(subject, placeholders, withName, withoutName);
    }

    private static async Task<(string Html, string Text)> RenderVariantAsync(RazorLightEngine engine, string template, EmailModel model)
    {
        var html = await engine.CompileRenderAsync(template, model);
        var inlined = PreMailer.Net.PreMailer.MoveCssInline(html, removeStyleElements: false, removeComments: true).Html;
        var text = HtmlToText.Convert(inlined);
        return (inlined, model.Direction == "rtl" ? RightToLeftLines(text) : text);
    }

    /// <summary>Plain text has no dir attribute: a right-to-left mark starts each line, so that a line that begins
    /// with a link or a number still reads right to left in a mail client that decides the direction per line.</summary>
    internal static string RightToLeftLines(string text) =>
        string.Join('\n', text.Split('\n').Select(line => line.Trim().Length == 0 ? line : RightToLeftMark + line));

    public const char RightToLeftMark = '\u200F';

    private static readonly string[] NotForTemplates = TemplateReferences.Excluded();

    private static RazorLightEngine Engine(TemplateProject project) => new RazorLightEngineBuilder()
        .UseProject(project)
        .SetOperatingAssembly(typeof(EmailRenderer).Assembly)
        .ExcludeAssemblies(NotForTemplates)
        .UseMemoryCachingProvider()
        .Build();
}

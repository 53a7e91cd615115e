using Dispatcher.Access;
using Dispatcher.Mail;
using Dispatcher.Mail.Branding;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace Dispatcher.Admin.Branding;

/// <summary>"Email content": what the organisation changes about its emails — name, logo, colours, footer and the text
/// blocks of each template — kept as data the templates render, with a preview of any template that follows the typing
/// (JavaScript) or comes with the Preview button. Nothing typed here is compiled: Markdown is rendered and sanitised.</summary>
[Authorize(Policy = Policies.Admin)]
public sealed class BrandingModel(BrandingStore store, EmailRenderer renderer, PublicUrls urls) : AdminPage
{
    public static readonly IReadOnlyList<string> PreviewTemplates = ["Statement", "Alert", "Digest", "Confirmation", "AlreadySubscribed", "Welcome"];

    public BrandingInput Input { get; private set; } = new(null, null, null, null, null, null);
    public string PreviewTemplate { get; private set; } = "Statement";
    public List<string> Errors { get; private set; } = [];
    public RenderedBody? Preview { get; private set; }
    public string? PreviewSubject { get; private set; }
    public string FallbackName => renderer.Branding.FallbackName;

    public async Task OnGetAsync(string? template, CancellationToken cancellationToken)
    {
        Input = await store.ReadAsync(cancellationToken);
        await RenderAsync(template, null);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Input = FromForm();
        var errors = Input.Validate();
        if (errors.Any)
        {
            Errors = errors.ToDictionary().SelectMany(e => e.Value).ToList();
            await RenderAsync(Request.Form["PreviewTemplate"], Input);
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }
        await store.SaveAsync(Input, Caller, cancellationToken);
        return Done("Saved. Emails prepared from now on use it.", new { template = (string?)Request.Form["PreviewTemplate"] });
    }

    /// <summary>The preview without JavaScript: the page again, showing the form as typed (nothing is saved).</summary>
    public async Task<IActionResult> OnPostShowAsync()
    {
        Input = FromForm();
        Errors = Input.Validate().ToDictionary().SelectMany(e => e.Value).ToList();
        await RenderAsync(Request.Form["PreviewTemplate"], Input);
        return Page();
    }

    /// <summary>The live preview: the chosen template with the form as it stands (nothing is saved).</summary>
    public async Task<IActionResult> OnPostPreviewAsync()
    {
        Input = FromForm();
        await RenderAsync(Request.Form["PreviewTemplate"], Input);
        return Preview is null ? BadRequest() : new JsonResult(new { subject = PreviewSubject, html = Preview.Html, text = Preview.Text });
    }

    private BrandingInput FromForm()
    {
        string? Field(string name) => Request.Form.TryGetValue(name, out var value) ? value.ToString() : null;
        return new BrandingInput(Field("OrganisationName"), Field("LogoUrl"), Field("AccentColour"), Field("BackgroundColour"), Field("FooterMarkdown"),
            EmailTexts.Keys.ToDictionary(k => k, k => Field($"Texts.{k}")));
    }

    private async Task RenderAsync(string? template, BrandingInput? candidate)
    {
        PreviewTemplate = PreviewTemplates.Contains(template) ? template! : "Statement";
        var brand = candidate is null ? null : Brand.From(candidate.ToRow(), candidate.ToTexts(Caller.Actor, DateTime.UtcNow), FallbackName);
        var (body, subject, error) = await renderer.TrySampleAsync(Templates.TemplateSamples.For(PreviewTemplate, urls.Base)!, candidateBrand: brand);
        Preview = body;
        PreviewSubject = subject;
        if (error is not null) Errors.Add(error);
    }
}

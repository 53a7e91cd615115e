using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Mail;
using Dispatcher.Mail.Templates;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Admin.Templates;

/// <summary>A template's source and how it renders. Only with Templates:AllowCodeEditing can it be edited here: Razor
/// is C#, so saving — or merely checking — a template runs its code in this process (and, saved, in every process).
/// With it on, every check and save is audited with the source; an edit is compiled and rendered for a sample
/// subscriber before it is saved, and one that does not compile is refused with the compiler's message.</summary>
[Authorize(Policy = Policies.Admin)]
public sealed class TemplateEditModel(DispatcherDb db, EmailRenderer renderer, PublicUrls urls, IOptions<TemplateOptions> options, TimeProvider clock) : AdminPage
{
    public string Name { get; private set; } = "";
    public string Source { get; private set; } = "";
    public bool Edited { get; private set; }
    public bool Previewing { get; private set; }
    public string? Error { get; private set; }
    public RenderedBody? Preview { get; private set; }
    public string? PreviewSubject { get; private set; }
    public bool CodeEditing => options.Value.AllowCodeEditing;

    public async Task<IActionResult> OnGetAsync(string name)
    {
        if (!Load(name)) return NotFound();
        await RenderAsync(null);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string name, string? source, CancellationToken cancellationToken)
    {
        if (!CodeEditing) return Forbidden();
        if (!Load(name)) return NotFound();
        Source = source ?? "";
        await AuditAsync("template.checked", name, Source, cancellationToken);
        if (!await RenderAsync(Source)) return Refused();

        var row = await db.EmailTemplates.SingleOrDefaultAsync(t => t.Name == name, cancellationToken);
        if (row is null) db.EmailTemplates.Add(row = new EmailTemplate { Name = name, Source = Source, UpdatedBy = Caller.Actor });
        row.Source = Source;
        row.UpdatedBy = Caller.Actor;
        row.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await AuditAsync("template.updated", name, Source, cancellationToken);
        await renderer.Source.RefreshAsync(cancellationToken, now: true);
        return Done("Saved. Dispatches prepared from now on use it.", new { name });
    }

    public async Task<IActionResult> OnPostCheckAsync(string name, string? source, CancellationToken cancellationToken)
    {
        if (!CodeEditing) return Forbidden();
        if (!Load(name)) return NotFound();
        Source = source ?? "";
        Previewing = true;
        await AuditAsync("template.checked", name, Source, cancellationToken);
        return await RenderAsync(Source) ? Page() : Refused();
    }

    public async Task<IActionResult> OnPostResetAsync(string name, CancellationToken cancellationToken)
    {
        if (!CodeEditing) return Forbidden();
        if (!TemplateSource.IsPlainName(name)) return NotFound();
        await db.EmailTemplates.Where(t => t.Name == name).ExecuteDeleteAsync(cancellationToken);
        await AuditAsync("template.reset", name, "back to the file", cancellationToken);
        await renderer.Source.RefreshAsync(cancellationToken, now: true);
        return Done("Back to the file.", new { name });
    }

    /// <summary>Written before the source is compiled: code that takes the process down is still on record.</summary>
    private async Task AuditAsync(string action, string name, string details, CancellationToken cancellationToken)
    {
        db.Audit.Add(AuditLog.Entry(clock, Caller, action, $"template:{name}", details.Length <= 20_000 ? details : details[..20_000]));
        await db.SaveChangesAsync(cancellationToken);
    }

    private bool Load(string name)
    {
        if (!TemplateSource.IsPlainName(name) || renderer.Source.Read(name) is not { } source) return false;
        Name = name;
        Source = source;
        Edited = renderer.Source.Override(name) is not null;
        return true;
    }

    private async Task<bool> RenderAsync(string? candidate)
    {
        if (TemplateSamples.For(Name, urls.Base) is not { } sample)
        {
            Error = $"There is no sample for a template called '{Name}'.";
            return false;
        }
        var (body, subject, error) = await renderer.TrySampleAsync(sample, candidate: candidate is null ? null : (Name, candidate));
        Preview = body;
        PreviewSubject = subject;
        Error = error;
        return error is null;
    }

    private PageResult Refused()
    {
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}

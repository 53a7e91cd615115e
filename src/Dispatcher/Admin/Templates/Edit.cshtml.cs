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

/// <summary>Edit a template: it is compiled and rendered for a sample subscriber before it is saved; one that does
/// not compile is refused with the compiler's message, and the template in use stays as it was.</summary>
[Authorize(Policy = Policies.Admin)]
public sealed class TemplateEditModel(DispatcherDb db, EmailRenderer renderer, PublicUrls urls, IOptions<MailOptions> mail, TimeProvider clock) : AdminPage
{
    public string Name { get; private set; } = "";
    public string Source { get; private set; } = "";
    public bool Edited { get; private set; }
    public bool Previewing { get; private set; }
    public string? Error { get; private set; }
    public RenderedBody? Preview { get; private set; }
    public string? PreviewSubject { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name)
    {
        if (!Load(name)) return NotFound();
        await RenderAsync(null);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string name, string? source, CancellationToken cancellationToken)
    {
        if (!Load(name)) return NotFound();
        Source = source ?? "";
        if (!await RenderAsync(Source)) return Refused();

        var row = await db.EmailTemplates.SingleOrDefaultAsync(t => t.Name == name, cancellationToken);
        if (row is null) db.EmailTemplates.Add(row = new EmailTemplate { Name = name, Source = Source, UpdatedBy = Caller.Actor });
        row.Source = Source;
        row.UpdatedBy = Caller.Actor;
        row.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        db.Audit.Add(AuditLog.Entry(clock, Caller, "template.updated", $"template:{name}"));
        await db.SaveChangesAsync(cancellationToken);
        await renderer.Source.RefreshAsync(cancellationToken, now: true);
        return Done("Saved. Dispatches prepared from now on use it.", new { name });
    }

    public async Task<IActionResult> OnPostCheckAsync(string name, string? source)
    {
        if (!Load(name)) return NotFound();
        Source = source ?? "";
        Previewing = true;
        return await RenderAsync(Source) ? Page() : Refused();
    }

    public async Task<IActionResult> OnPostResetAsync(string name, CancellationToken cancellationToken)
    {
        if (!TemplateSource.IsPlainName(name)) return NotFound();
        await db.EmailTemplates.Where(t => t.Name == name).ExecuteDeleteAsync(cancellationToken);
        db.Audit.Add(AuditLog.Entry(clock, Caller, "template.reset", $"template:{name}", "back to the file"));
        await db.SaveChangesAsync(cancellationToken);
        await renderer.Source.RefreshAsync(cancellationToken, now: true);
        return Done("Back to the file.", new { name });
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
        var (body, subject, error) = await renderer.TrySampleAsync(Name, candidate, mail.Value.FromName, urls.Base);
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

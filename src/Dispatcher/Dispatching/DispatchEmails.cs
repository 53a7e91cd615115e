using Dispatcher.Data;
using Dispatcher.Mail;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Dispatching;

/// <summary>A dispatch's email for one list, rendered once with placeholders where each person's details go, and kept
/// with the dispatch. Every worker sends this same rendering (an edit to the template while the dispatch is under way
/// does not split it in two), and a worker that finds it here need not compile the template at all: no compiler in
/// the worker's memory.</summary>
public sealed class DispatchEmail
{
    public long DispatchId { get; set; }
    public int ListId { get; set; }
    public required string Subject { get; set; }
    public required string Nonce { get; set; }
    public required string HtmlWithName { get; set; }
    public required string TextWithName { get; set; }
    public required string HtmlWithoutName { get; set; }
    public required string TextWithoutName { get; set; }
    public DateTime CreatedAt { get; set; }

    public CompiledEmailParts Parts => new(Subject, Nonce, HtmlWithName, TextWithName, HtmlWithoutName, TextWithoutName);
}

/// <summary>Reads and keeps the rendered emails of a dispatch (see <see cref="DispatchEmail"/>).</summary>
public sealed class DispatchEmails(DispatcherDb db, TimeProvider clock)
{
    /// <summary>The dispatch's email for each list in <paramref name="listIds"/>: the one kept, or else one rendered
    /// now by <paramref name="render"/> and kept. When two processes render at once, the first one kept wins and both
    /// send it.</summary>
    public async Task<Dictionary<int, CompiledEmail>> GetOrRenderAsync(
        long dispatchId, IEnumerable<int> listIds, Func<int, Task<CompiledEmail>> render, CancellationToken cancellationToken)
    {
        var emails = (await db.DispatchEmails.AsNoTracking().Where(e => e.DispatchId == dispatchId).ToListAsync(cancellationToken))
            .ToDictionary(e => e.ListId, e => CompiledEmail.From(e.Parts));
        foreach (var listId in listIds.Where(id => !emails.ContainsKey(id)).ToList())
            emails[listId] = await KeepAsync(dispatchId, listId, await render(listId), cancellationToken);
        return emails;
    }

    private async Task<CompiledEmail> KeepAsync(long dispatchId, int listId, CompiledEmail email, CancellationToken cancellationToken)
    {
        var (subject, nonce, htmlWithName, textWithName, htmlWithoutName, textWithoutName) = email.Parts;
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO dispatch_emails (dispatch_id, list_id, subject, nonce, html_with_name, text_with_name, html_without_name, text_without_name, created_at)
            VALUES ({dispatchId}, {listId}, {subject}, {nonce}, {htmlWithName}, {textWithName}, {htmlWithoutName}, {textWithoutName}, {now})
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        var kept = await db.DispatchEmails.AsNoTracking().SingleAsync(e => e.DispatchId == dispatchId && e.ListId == listId, cancellationToken);
        return kept.Nonce == nonce ? email : CompiledEmail.From(kept.Parts);
    }
}

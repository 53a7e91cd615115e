using System.Diagnostics;
using Dispatcher.Data;
using Dispatcher.Lists;
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
    /// <summary>The dispatch's email for each of <paramref name="lists"/>, with the list's identity for its headers: the
    /// one kept, or else one rendered now by <paramref name="render"/> and kept. When two processes render at once, the
    /// first one kept wins and both send it.</summary>
    public async Task<Dictionary<int, (CompiledEmail Email, ListIdentity List)>> PerListAsync(
        long dispatchId, IEnumerable<MailingList> lists, Func<MailingList, Task<CompiledEmail>> render, CancellationToken cancellationToken)
    {
        var kept = await db.DispatchEmails.AsNoTracking().Where(e => e.DispatchId == dispatchId).ToDictionaryAsync(e => e.ListId, cancellationToken);
        var perList = new Dictionary<int, (CompiledEmail Email, ListIdentity List)>();
        foreach (var list in lists)
        {
            var email = kept.TryGetValue(list.Id, out var row) ? CompiledEmail.From(row.Parts)
                : await KeepAsync(dispatchId, list.Id, await render(list), cancellationToken);
            perList[list.Id] = (email, new ListIdentity(list.Slug, list.Name));
        }
        return perList;
    }

    private Task<DispatchEmail?> KeptAsync(long dispatchId, int listId, CancellationToken cancellationToken) =>
        db.DispatchEmails.AsNoTracking().SingleOrDefaultAsync(e => e.DispatchId == dispatchId && e.ListId == listId, cancellationToken);

    /// <summary>Its queries, against dispatch 0 (see <see cref="SendPathWarmUp"/>).</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await PerListAsync(SendPathWarmUp.None, [], _ => throw new UnreachableException(), cancellationToken);
        await KeptAsync(SendPathWarmUp.None, 0, cancellationToken);
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
        var kept = await KeptAsync(dispatchId, listId, cancellationToken)
                   ?? throw new InvalidOperationException($"The email of dispatch {dispatchId} for list {listId} was not kept.");
        return kept.Nonce == nonce ? email : CompiledEmail.From(kept.Parts);
    }
}

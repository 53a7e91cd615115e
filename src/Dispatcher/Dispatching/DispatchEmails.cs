using System.Collections.Concurrent;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>A dispatch's email for one list and one reader language, rendered once with placeholders where each
/// person's details go, and kept with the dispatch. Every worker sends this same rendering (an edit to the template
/// while the dispatch is under way does not split it in two), and a worker that finds it here need not compile the
/// template at all: no compiler in the worker's memory.</summary>
public sealed class DispatchEmail
{
    public long DispatchId { get; set; }
    public int ListId { get; set; }

    /// <summary>The readers' language (see DispatcherOptions.LanguageOf).</summary>
    public string Language { get; set; } = "";

    public required string Subject { get; set; }
    public required string Nonce { get; set; }
    public required string HtmlWithName { get; set; }
    public required string TextWithName { get; set; }
    public required string HtmlWithoutName { get; set; }
    public required string TextWithoutName { get; set; }
    public DateTime CreatedAt { get; set; }

    public CompiledEmailParts Parts => new(Subject, Nonce, HtmlWithName, TextWithName, HtmlWithoutName, TextWithoutName);
}

/// <summary>One list's and one language's email of a dispatch.</summary>
public readonly record struct EmailKey(int ListId, string Language);

/// <summary>A dispatch's emails, one per list and reader language, compiled when a batch first needs one (or ahead, for
/// the languages the lists' readers have) and shared by every batch of the dispatch in this process. With
/// <paramref name="keep"/>, each is kept in the database (see <see cref="DispatchEmail"/>): when two processes compile
/// the same one at once, the first one kept wins and both send it.</summary>
public sealed class DispatchEmailSet(long dispatchId, bool keep, TimeProvider clock, Func<EmailKey, Task<CompiledEmail>> render)
{
    private readonly ConcurrentDictionary<EmailKey, Lazy<Task<CompiledEmail>>> _emails = new();
    private bool _keptLoaded;

    /// <summary>Makes sure every one of <paramref name="keys"/> is ready; <paramref name="db"/> is the caller's.</summary>
    public async Task LoadAsync(DispatcherDb db, IEnumerable<EmailKey> keys, CancellationToken cancellationToken)
    {
        var missing = keys.Distinct().Where(k => !_emails.TryGetValue(k, out var email) || !email.Value.IsCompletedSuccessfully).ToList();
        if (missing.Count == 0) return;
        if (keep && !_keptLoaded)
        {
            foreach (var row in await AllKeptAsync(db, dispatchId, cancellationToken))
                _emails.TryAdd(new EmailKey(row.ListId, row.Language), new Lazy<Task<CompiledEmail>>(Task.FromResult(CompiledEmail.From(row.Parts))));
            _keptLoaded = true;
        }
        // One at a time: they share the caller's database context.
        foreach (var key in missing)
        {
            var email = _emails.GetOrAdd(key, k => new Lazy<Task<CompiledEmail>>(() => CompileAsync(db, k, cancellationToken)));
            try
            {
                await email.Value;
            }
            catch
            {
                _emails.TryRemove(new KeyValuePair<EmailKey, Lazy<Task<CompiledEmail>>>(key, email)); // the next batch tries again
                throw;
            }
        }
    }

    /// <summary>An email <see cref="LoadAsync"/> made ready.</summary>
    public CompiledEmail this[EmailKey key] => _emails[key].Value.Result;

    private async Task<CompiledEmail> CompileAsync(DispatcherDb db, EmailKey key, CancellationToken cancellationToken)
    {
        var email = await render(key);
        return keep ? await KeepAsync(db, key, email, cancellationToken) : email;
    }

    private async Task<CompiledEmail> KeepAsync(DispatcherDb db, EmailKey key, CompiledEmail email, CancellationToken cancellationToken)
    {
        var (subject, nonce, htmlWithName, textWithName, htmlWithoutName, textWithoutName) = email.Parts;
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO dispatch_emails (dispatch_id, list_id, language, subject, nonce, html_with_name, text_with_name, html_without_name, text_without_name, created_at)
            VALUES ({dispatchId}, {key.ListId}, {key.Language}, {subject}, {nonce}, {htmlWithName}, {textWithName}, {htmlWithoutName}, {textWithoutName}, {now})
            ON CONFLICT DO NOTHING
            """, cancellationToken);
        var kept = await KeptAsync(db, dispatchId, key, cancellationToken)
                   ?? throw new InvalidOperationException($"The email of dispatch {dispatchId} for list {key.ListId} in '{key.Language}' was not kept.");
        return kept.Nonce == nonce ? email : CompiledEmail.From(kept.Parts);
    }

    private static Task<List<DispatchEmail>> AllKeptAsync(DispatcherDb db, long dispatchId, CancellationToken cancellationToken) =>
        db.DispatchEmails.AsNoTracking().Where(e => e.DispatchId == dispatchId).ToListAsync(cancellationToken);

    private static Task<DispatchEmail?> KeptAsync(DispatcherDb db, long dispatchId, EmailKey key, CancellationToken cancellationToken) =>
        db.DispatchEmails.AsNoTracking()
            .SingleOrDefaultAsync(e => e.DispatchId == dispatchId && e.ListId == key.ListId && e.Language == key.Language, cancellationToken);

    /// <summary>Its queries, against dispatch 0 (see <see cref="SendPathWarmUp"/>).</summary>
    internal static async Task WarmUpAsync(DispatcherDb db, CancellationToken cancellationToken)
    {
        await AllKeptAsync(db, SendPathWarmUp.None, cancellationToken);
        await KeptAsync(db, SendPathWarmUp.None, new EmailKey(0, ""), cancellationToken);
    }
}

/// <summary>The languages a dispatch's emails are in: each reader's (see DispatcherOptions.LanguageOf).</summary>
public sealed class DispatchLanguages(DispatcherDb db, IOptions<DispatcherOptions> options)
{
    /// <summary>The languages of the confirmed readers of <paramref name="listIds"/>, so a dispatch's emails can be
    /// rendered ahead (in the Web process that creates it) for all of them.</summary>
    public async Task<List<string>> OnListsAsync(IReadOnlyCollection<int> listIds, CancellationToken cancellationToken)
    {
        var chosen = await db.Subscriptions.AsNoTracking()
            .Where(s => listIds.Contains(s.ListId) && s.Status == SubscriptionStatus.Confirmed)
            .Select(s => s.Subscriber!.Language).Distinct().ToListAsync(cancellationToken);
        return chosen.Select(options.Value.LanguageOf).Distinct().Order(StringComparer.Ordinal).ToList();
    }
}

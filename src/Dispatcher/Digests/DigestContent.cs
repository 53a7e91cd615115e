using System.Collections.Concurrent;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Dispatcher.Statements;
using Dispatcher.Subscribers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Digests;

/// <summary>Digest emails. Each person gets the statements of their lists (of that cadence) newer than their own
/// cursor — newest first, each once, grouped by list when there are several, each in their language when it has a
/// translation. People who share the same set of statements and language (most do) share one compiled email: it is
/// rendered once per distinct set, then filled in per person.</summary>
public sealed class DigestContent(
    DispatcherDb db,
    EmailRenderer renderer,
    RecipientLinks links,
    PublicUrls urls,
    TimeProvider clock,
    IOptions<DigestOptions> options,
    IOptions<Hosting.DispatcherOptions> readers) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Digest;

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow().UtcDateTime - options.Value.MaxAge;
        var upTo = dispatch.DigestUpTo!.Value;
        var statements = await db.Statements.AsNoTracking().Include(s => s.Translations)
            .Where(s => s.Id <= upTo && s.CreatedAt >= since && s.Distribution != Distribution.Archive)
            .AsSplitQuery().ToDictionaryAsync(s => s.Id, cancellationToken);
        var ids = statements.Keys.ToList();
        var onLists = await db.StatementLists.AsNoTracking().Where(sl => ids.Contains(sl.StatementId)).ToListAsync(cancellationToken);
        var lists = await db.Lists.AsNoTracking().ToDictionaryAsync(l => l.Id, l => new ListIdentity(l.Slug, l.Name), cancellationToken);
        var byList = onLists.GroupBy(sl => sl.ListId).ToDictionary(
            g => g.Key,
            g => g.Select(sl => statements[sl.StatementId]).OrderByDescending(s => s.PublishedAt).ThenByDescending(s => s.Id).ToList());
        return new Prepared(this, links, dispatch, byList, lists, readers.Value.LanguageOf, readers.Value.LanguageOf(null));
    }

    /// <summary>A digest run up to statement 0: no statements, and a batch of nobody.</summary>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var nothing = await PrepareAsync(new Dispatch { Kind = Kind, Cadence = Cadence.Daily, DigestUpTo = 0 }, cancellationToken);
        await nothing.ForBatchAsync(db, [], cancellationToken);
        await nothing.AfterSentAsync(db, [], cancellationToken);
    }

    private Task<CompiledEmail> CompileAsync(Cadence cadence, IReadOnlyList<DigestGroup> groups, string listName, string language)
    {
        var items = groups.SelectMany(g => g.Items).ToList();
        var name = cadence == Cadence.Weekly ? "Weekly" : "Daily";
        return renderer.CompileAsync("Digest", Subject(name, items, language), recipient => new DigestEmail
        {
            Recipient = recipient,
            PublicBaseUrl = urls.Base,
            ListName = listName,
            Preheader = string.Join(" · ", items.Take(3).Select(i => i.Title)),
            CadenceName = name,
            Groups = groups,
        }, language);
    }

    /// <summary>"Weekly statements: 5 new — Stop the repression of South Korean trade unionists, …", cut at a word, in
    /// the reader's language.</summary>
    public static string Subject(string cadenceName, IReadOnlyList<DigestItem> items, string language = "en")
    {
        const int Max = 120;
        var start = EmailWords.For(language)[$"{cadenceName} statements: {{0}} new", items.Count] + " — ";
        var titles = string.Join(", ", items.Select(i => i.Title));
        if (start.Length + titles.Length <= Max) return start + titles;
        var room = Max - start.Length - 1;
        var cut = titles.LastIndexOf(' ', Math.Max(0, Math.Min(room, titles.Length - 1)));
        return start + titles[..(cut > room / 2 ? cut : room)].TrimEnd(',', ' ', '—', '-') + "…";
    }

    private sealed class Prepared(DigestContent content, RecipientLinks links, Dispatch dispatch, Dictionary<int, List<Statement>> byList,
        Dictionary<int, ListIdentity> lists, Func<string?, string> languageOf, string ownLanguage) : IPreparedContent
    {
        private const int MaxCachedSets = 2000;
        private readonly ConcurrentDictionary<string, Lazy<Task<CompiledEmail>>> _compiled = new();
        private readonly Cadence _cadence = dispatch.Cadence!.Value;

        /// <summary>The statements that have an audience: only the people in it get them.</summary>
        private readonly Dictionary<long, Audience> _audiences = byList.Values.SelectMany(l => l).DistinctBy(s => s.Id)
            .Where(s => s.AudienceJson is not null).ToDictionary(s => s.Id, s => s.Audience);

        public async Task<IBatchContent> ForBatchAsync(DispatcherDb db, IReadOnlyList<DeliveryRecipient> rows, CancellationToken cancellationToken)
        {
            var people = rows.Where(r => r.SubscriberId is not null).Select(r => r.SubscriberId!.Value).ToList();
            var cursors = await db.Subscriptions.AsNoTracking()
                .Where(s => people.Contains(s.SubscriberId) && s.Cadence == _cadence && s.Status == SubscriptionStatus.Confirmed)
                .Select(s => new { s.SubscriberId, s.ListId, s.DigestCursor })
                .ToListAsync(cancellationToken);
            var languages = rows.Where(r => r.SubscriberId is not null).GroupBy(r => r.SubscriberId!.Value)
                .ToDictionary(g => g.Key, g => languageOf(g.First().Language));
            var attributes = _audiences.Count == 0 ? [] : await db.Subscribers.AsNoTracking().Where(s => people.Contains(s.Id))
                .Select(s => new { s.Id, s.Attributes }).ToDictionaryAsync(s => s.Id, s => s.Attributes, cancellationToken);
            var groups = cursors.GroupBy(c => c.SubscriberId).ToDictionary(g => g.Key,
                g => GroupsFor(g.Select(c => (c.ListId, c.DigestCursor)), languages.GetValueOrDefault(g.Key, ownLanguage),
                    attributes.GetValueOrDefault(g.Key) ?? []));
            return new Batch(this, groups, languages);
        }

        /// <summary>Moves the cursors of the people the relay accepted a digest for, so these statements never come again.</summary>
        public Task AfterSentAsync(DispatcherDb db, IReadOnlyCollection<long> subscriberIds, CancellationToken cancellationToken)
        {
            var upTo = dispatch.DigestUpTo!.Value;
            return db.Subscriptions
                .Where(s => subscriberIds.Contains(s.SubscriberId) && s.Cadence == _cadence && s.Status == SubscriptionStatus.Confirmed && s.DigestCursor < upTo)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.DigestCursor, upTo), cancellationToken);
        }

        /// <summary>The person's statements: each once (under the first of their lists, by name), newest first, each in
        /// their language when it has a translation.</summary>
        private List<DigestGroup> GroupsFor(IEnumerable<(int ListId, long Cursor)> subscriptions, string language,
            IReadOnlyDictionary<string, string> attributes)
        {
            var seen = new HashSet<long>();
            var groups = new List<DigestGroup>();
            foreach (var (listId, cursor) in subscriptions.Where(s => lists.ContainsKey(s.ListId)).OrderBy(s => lists[s.ListId].Name))
            {
                var items = byList.GetValueOrDefault(listId, [])
                    .Where(s => s.Id > cursor && (!_audiences.TryGetValue(s.Id, out var audience) || audience.Matches(attributes)) && seen.Add(s.Id))
                    .Select(s => Item(s, language)).ToList();
                if (items.Count > 0) groups.Add(new DigestGroup(lists[listId].Name, items));
            }
            return groups;
        }

        /// <summary>Each statement's item per language, made once: a digest to 100,000 people asks for each a million times.</summary>
        private readonly ConcurrentDictionary<(long, string), DigestItem> _items = new();

        private DigestItem Item(Statement statement, string language) => _items.GetOrAdd((statement.Id, language), _ =>
        {
            var text = statement.For(language, ownLanguage);
            return new DigestItem(statement.Id, text.Title, text.Author, statement.PublishedAt, text.Summary, text.Url, text.Language);
        });

        private Task<CompiledEmail> CompiledFor(List<DigestGroup> groups, string listName, string language)
        {
            var key = language + "|" + listName + "|" + string.Join(";", groups.Select(g => g.ListName + ":" + string.Join(",", g.Items.Select(i => i.Id))));
            if (_compiled.Count > MaxCachedSets) _compiled.Clear(); // bounded: a run where everyone's set differs still works
            return _compiled.GetOrAdd(key, _ => new Lazy<Task<CompiledEmail>>(() => content.CompileAsync(_cadence, groups, listName, language))).Value;
        }

        private async ValueTask<OutgoingMessage> MessageAsync(DeliveryRecipient recipient, List<DigestGroup> mine, string language)
        {
            var list = lists[recipient.ListId];
            var email = await CompiledFor(mine, list.Name, language);
            // One click leaves the whole digest (every list of this cadence), not just one of its lists.
            return links.Message(dispatch.Id, recipient, email, list, SubscriberTokens.DigestScope(_cadence));
        }

        private sealed class Batch(Prepared prepared, Dictionary<long, List<DigestGroup>> groups, Dictionary<long, string> languages) : IBatchContent
        {
            public bool StillWanted(DeliveryRecipient recipient) =>
                recipient.SubscriberId is { } id && groups.TryGetValue(id, out var mine) && mine.Count > 0;

            public ValueTask<OutgoingMessage> MessageForAsync(DeliveryRecipient recipient) =>
                prepared.MessageAsync(recipient, groups[recipient.SubscriberId!.Value], languages[recipient.SubscriberId!.Value]);
        }
    }
}

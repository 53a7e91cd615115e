using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Statements;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Feeds;

public sealed record PollResult(int Added, string? Error);

/// <summary>Polls one feed: each item it has not seen becomes a statement (its guid or link is the statement's
/// externalId, so an item is never sent twice, whichever worker polls). Of the items a feed already has when it is
/// added, only the recent ones (Feeds:FirstPollSendsWithin) go out; the rest are kept as an archive and not mailed,
/// so adding a site's feed does not send its whole history. A failure is recorded on the feed and retried with back-off.
/// The feeds that translate it are fetched with it: a new item goes out with the translations already there, and a
/// translation that comes later is added to its statement (for digests and whoever is sent it after).</summary>
public sealed class FeedPoller(DispatcherDb db, FeedReader reader, StatementPublisher publisher, TimeProvider clock, IOptions<FeedOptions> options,
    IOptions<DispatcherOptions> readers, ILogger<FeedPoller> logger)
{
    public async Task<PollResult> PollAsync(int feedId, CancellationToken cancellationToken)
    {
        var feed = await db.Feeds.AsNoTracking().Include(f => f.Lists).SingleAsync(f => f.Id == feedId, cancellationToken);
        if (feed.TranslatesFeedId is { } original) return await PollAsync(original, cancellationToken); // polled with its original
        var now = clock.GetUtcNow().UtcDateTime;
        feed.LastPolledAt = now;
        try
        {
            var fetched = await reader.FetchAsync(feed.Url, feed.ETag, feed.LastModified, cancellationToken);
            var translations = await FetchTranslationsAsync(feed, now, cancellationToken);
            var added = fetched.NotModified ? 0 : await AddNewAsync(feed, fetched.Items, translations, cancellationToken);
            await AddLateTranslationsAsync(translations, cancellationToken);
            if (!fetched.NotModified)
            {
                feed.ETag = fetched.ETag;
                feed.LastModified = fetched.LastModified;
            }
            feed.LastSuccessAt = now;
            feed.LastError = null;
            feed.ConsecutiveFailures = 0;
            feed.NextPollAt = now.AddMinutes(feed.PollMinutes);
            await SaveStateAsync(feed, cancellationToken);
            return new PollResult(added, null);
        }
        catch (FeedException e)
        {
            feed.LastError = e.Message.Length <= 1000 ? e.Message : e.Message[..1000];
            feed.ConsecutiveFailures++;
            var backoff = TimeSpan.FromMinutes(feed.PollMinutes * Math.Pow(2, Math.Min(feed.ConsecutiveFailures - 1, 10)));
            feed.NextPollAt = now + (backoff < options.Value.MaxBackoff ? backoff : options.Value.MaxBackoff);
            await SaveStateAsync(feed, cancellationToken);
            logger.LogWarning("Feed {FeedId} ({Url}) failed ({Failures} in a row, next try {Next:u}): {Error}",
                feed.Id, feed.Url, feed.ConsecutiveFailures, feed.NextPollAt, e.Message);
            return new PollResult(0, e.Message);
        }
    }

    /// <summary>The feed's poll state, written in one statement (publishing items runs its own units of work).</summary>
    private Task SaveStateAsync(Feed feed, CancellationToken cancellationToken) =>
        db.Feeds.Where(f => f.Id == feed.Id).ExecuteUpdateAsync(s => s
            .SetProperty(f => f.ETag, feed.ETag)
            .SetProperty(f => f.LastModified, feed.LastModified)
            .SetProperty(f => f.LastPolledAt, feed.LastPolledAt)
            .SetProperty(f => f.LastSuccessAt, feed.LastSuccessAt)
            .SetProperty(f => f.LastError, feed.LastError)
            .SetProperty(f => f.ConsecutiveFailures, feed.ConsecutiveFailures)
            .SetProperty(f => f.NextPollAt, feed.NextPollAt), cancellationToken);

    /// <summary>The items of the feeds that translate this one, with their language; a feed that fails is noted on it and
    /// skipped this time (its translations come with a later poll).</summary>
    private async Task<List<(string Language, FeedItem Item)>> FetchTranslationsAsync(Feed feed, DateTime now, CancellationToken cancellationToken)
    {
        var items = new List<(string, FeedItem)>();
        foreach (var translation in await db.Feeds.AsNoTracking().Where(f => f.TranslatesFeedId == feed.Id).ToListAsync(cancellationToken))
        {
            string? error = null;
            try
            {
                var fetched = await reader.FetchAsync(translation.Url, null, null, cancellationToken);
                var language = readers.Value.LanguageOf(translation.Language);
                items.AddRange(fetched.Items.Select(i => (translation.Language ?? language, i)));
            }
            catch (FeedException e)
            {
                error = e.Message.Length <= 1000 ? e.Message : e.Message[..1000];
                logger.LogWarning("Translation feed {FeedId} ({Url}) failed: {Error}", translation.Id, translation.Url, e.Message);
            }
            await db.Feeds.Where(f => f.Id == translation.Id).ExecuteUpdateAsync(s => s
                .SetProperty(f => f.LastPolledAt, now)
                .SetProperty(f => f.LastSuccessAt, f => error == null ? now : f.LastSuccessAt)
                .SetProperty(f => f.LastError, error)
                .SetProperty(f => f.ConsecutiveFailures, f => error == null ? 0 : f.ConsecutiveFailures + 1), cancellationToken);
        }
        return items;
    }

    /// <summary>The translations of an item: the first item of each other language that translates it.</summary>
    private static List<StatementTranslationRequest> TranslationsOf(FeedItem item, string language, List<(string Language, FeedItem Item)> translations) =>
        translations.Where(t => !string.Equals(t.Language, language, StringComparison.OrdinalIgnoreCase) && item.IsTranslatedBy(t.Item))
            .DistinctBy(t => t.Language, StringComparer.OrdinalIgnoreCase)
            .Select(t => new StatementTranslationRequest(t.Language, t.Item.Title, t.Item.Summary, t.Item.Url, t.Item.Author, t.Item.BodyHtml))
            .ToList();

    /// <summary>Translations of statements published before they came: added to the statement when it has none in that language.</summary>
    private async Task AddLateTranslationsAsync(List<(string Language, FeedItem Item)> translations, CancellationToken cancellationToken)
    {
        if (translations.Count == 0) return;
        var ids = translations.Select(t => t.Item.ExternalId).ToList();
        var links = translations.SelectMany(t => (t.Item.Links ?? []).Append(t.Item.Url)).OfType<string>().Distinct().ToList();
        var candidates = await db.Statements.Include(s => s.Translations)
            .Where(s => (s.ExternalId != null && ids.Contains(s.ExternalId)) || (s.Url != null && links.Contains(s.Url)))
            .OrderByDescending(s => s.Id).Take(200).AsSplitQuery().ToListAsync(cancellationToken);
        var own = readers.Value.LanguageOf(null);
        foreach (var statement in candidates)
        foreach (var (language, item) in translations)
        {
            var mine = new FeedItem(statement.ExternalId ?? "", statement.Title, statement.Author, statement.PublishedAt, statement.Summary, null, statement.Url);
            if (!mine.IsTranslatedBy(item) || string.Equals(statement.Language ?? own, language, StringComparison.OrdinalIgnoreCase)
                || statement.Translations.Any(t => string.Equals(t.Language, language, StringComparison.OrdinalIgnoreCase)))
                continue;
            var errors = new ValidationErrors();
            var request = new StatementTranslationRequest(language, item.Title, item.Summary, item.Url, item.Author, item.BodyHtml);
            if (request.Validate(errors, "translation") is not { } tag) continue;
            statement.Translations.Add(new StatementTranslation
            {
                Language = tag, Title = item.Title, Author = item.Author, Summary = item.Summary, Url = item.Url,
                BodyHtml = item.BodyHtml is null ? null : Content.SafeHtml.Sanitize(item.BodyHtml),
            });
            logger.LogInformation("Statement {StatementId}: {Language} translation added from its feed", statement.Id, tag);
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<int> AddNewAsync(Feed feed, IReadOnlyList<FeedItem> items, List<(string Language, FeedItem Item)> translations,
        CancellationToken cancellationToken)
    {
        var language = readers.Value.LanguageOf(feed.Language);
        var ids = items.Select(i => i.ExternalId).Distinct().ToList();
        var known = (await db.Statements.Where(s => s.ExternalId != null && ids.Contains(s.ExternalId)).Select(s => s.ExternalId!).ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        var slugs = await db.Lists.Where(l => feed.Lists.Select(fl => fl.ListId).Contains(l.Id)).Select(l => l.Slug).ToListAsync(cancellationToken);
        var firstPoll = feed.LastSuccessAt is null;
        var news = feed.SendImmediately ? Distribution.Immediately : Distribution.DigestOnly;
        var recent = clock.GetUtcNow().UtcDateTime - options.Value.FirstPollSendsWithin;
        var caller = new Caller($"feed:{feed.Id}", feed.Url, Role.Admin, new HashSet<string>());

        var added = 0;
        // Oldest first, so statement ids (and digests) follow the website's order.
        foreach (var item in items.Where(i => !known.Contains(i.ExternalId)).OrderBy(i => i.PublishedAt ?? DateTime.MaxValue))
        {
            var request = new PublishStatementRequest(item.Title, item.Author, item.PublishedAt, item.Summary, item.BodyHtml, null, item.Url, slugs,
                item.ExternalId, feed.Language ?? language, TranslationsOf(item, feed.Language ?? language, translations));
            var distribution = firstPoll && !(item.PublishedAt >= recent) ? Distribution.Archive : news;
            var result = await publisher.PublishAsync(request, caller, cancellationToken, distribution);
            if (result is PublishResult.Accepted) added++;
            else if (result is PublishResult.Invalid invalid)
                logger.LogWarning("Feed {FeedId}: item {Item} skipped: {Errors}", feed.Id, LogText.Safe(item.ExternalId), string.Join("; ", invalid.Errors.ToDictionary().SelectMany(e => e.Value)));
            known.Add(item.ExternalId);
        }
        return added;
    }
}

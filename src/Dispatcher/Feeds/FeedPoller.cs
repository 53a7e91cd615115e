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
/// so adding a site's feed does not send its whole history. A failure is recorded on the feed and retried with back-off.</summary>
public sealed class FeedPoller(DispatcherDb db, FeedReader reader, StatementPublisher publisher, TimeProvider clock, IOptions<FeedOptions> options, ILogger<FeedPoller> logger)
{
    public async Task<PollResult> PollAsync(int feedId, CancellationToken cancellationToken)
    {
        var feed = await db.Feeds.AsNoTracking().Include(f => f.Lists).SingleAsync(f => f.Id == feedId, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        feed.LastPolledAt = now;
        try
        {
            var fetched = await reader.FetchAsync(feed.Url, feed.ETag, feed.LastModified, cancellationToken);
            var added = fetched.NotModified ? 0 : await AddNewAsync(feed, fetched.Items, cancellationToken);
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

    private async Task<int> AddNewAsync(Feed feed, IReadOnlyList<FeedItem> items, CancellationToken cancellationToken)
    {
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
            var request = new PublishStatementRequest(item.Title, item.Author, item.PublishedAt, item.Summary, item.BodyHtml, null, item.Url, slugs, item.ExternalId);
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

using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Content;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Hosting;
using Dispatcher.Messages;
using Dispatcher.Subscribers;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Statements;

/// <summary>What publishing a statement came to.</summary>
public abstract record PublishResult
{
    public sealed record Accepted(PublishStatementResponse Response) : PublishResult;

    /// <summary>The same externalId was published before: its first id, nothing sent again.</summary>
    public sealed record Duplicate(PublishStatementResponse Response) : PublishResult;

    public sealed record Invalid(ValidationErrors Errors) : PublishResult;

    public sealed record Forbidden(string Detail) : PublishResult;
}

/// <summary>Stores a statement and, when someone on its lists takes statements at once, its queued dispatch — in one
/// transaction, before answering 202. The queued dispatch row is the outbox: if the broker is down and the
/// StatementPublished event cannot be published, the sweeper plans it from the database, so an accepted statement is never lost.</summary>
public sealed class StatementPublisher(
    DispatcherDb db, DispatchContentCache contents, IPublishEndpoint bus, TimeProvider clock, IOptions<DispatcherOptions> options,
    ILogger<StatementPublisher> logger)
{
    public async Task<PublishResult> PublishAsync(PublishStatementRequest request, Caller caller, CancellationToken cancellationToken,
        Distribution distribution = Distribution.Immediately)
    {
        var errors = request.Validate();
        var audience = await AudienceOfAsync(request, errors, cancellationToken);
        var slugs = (request.Lists ?? []).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()).Distinct().ToList();
        var lists = await ListsNamedAsync(slugs, cancellationToken);
        for (var i = 0; i < (request.Lists?.Count ?? 0); i++)
            if (!string.IsNullOrWhiteSpace(request.Lists![i]) && lists.All(l => l.Slug != request.Lists[i].Trim()))
                errors.Add($"lists[{i}]", $"There is no list '{request.Lists[i].Trim()}'.");
        if (errors.Any) return new PublishResult.Invalid(errors);

        var externalId = request.ExternalId?.Trim();
        if (!string.IsNullOrEmpty(externalId) && await FindAsync(externalId, cancellationToken) is { } earlier)
            return new PublishResult.Duplicate(earlier);
        if (caller.Role == Role.Organiser && slugs.FirstOrDefault(s => !caller.MayUseList(s)) is { } notGranted)
            return new PublishResult.Forbidden($"This key is not granted the list '{notGranted}'.");

        var now = clock.GetUtcNow().UtcDateTime;
        var statement = new Statement
        {
            ExternalId = string.IsNullOrEmpty(externalId) ? null : externalId,
            Title = request.Title!.Trim(),
            Author = request.Author?.Trim() is { Length: > 0 } author ? author : null,
            PublishedAt = request.PublishedAt?.ToUniversalTime() ?? now,
            Summary = request.Summary?.Trim() is { Length: > 0 } summary ? summary : null,
            BodyHtml = BodyOf(request.BodyHtml, request.BodyMarkdown),
            Url = request.Url?.Trim() is { Length: > 0 } url ? url : null,
            Distribution = distribution,
            CreatedAt = now,
            // Stored as given, or the default at the time: changing Dispatcher:DefaultLanguage later changes no statement.
            Language = ReaderLocale.TryLanguage(request.Language, out var language) ? language : options.Value.LanguageOf(null),
            Audience = audience,
            Lists = lists.Select(l => new StatementList { ListId = l.Id }).ToList(),
            Translations = (request.Translations ?? []).Select(t => new StatementTranslation
            {
                Language = ReaderLocale.TryLanguage(t.Language, out var tag) ? tag : throw new InvalidOperationException("Validated above."),
                Title = t.Title!.Trim(),
                Author = t.Author?.Trim() is { Length: > 0 } by ? by : null,
                Summary = t.Summary?.Trim() is { Length: > 0 } text ? text : null,
                BodyHtml = BodyOf(t.BodyHtml, t.BodyMarkdown),
                Url = t.Url?.Trim() is { Length: > 0 } link ? link : null,
            }).ToList(),
        };

        Dispatch? dispatch;
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            db.Statements.Add(statement);
            await db.SaveChangesAsync(cancellationToken);

            dispatch = distribution == Distribution.Immediately
                ? await QueueImmediateDispatchAsync(statement, lists.Select(l => l.Id).ToList(), now, cancellationToken)
                : null;
            db.Audit.Add(AuditLog.Entry(clock, caller, "statement.published", $"statement:{statement.Id}",
                $"\"{statement.Title}\" to {string.Join(", ", slugs)}" + (audience.IsEveryone ? "" : $"; audience: {audience}")
                + (dispatch is null ? "" : $"; dispatch {dispatch.Id}")));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException) when (statement.ExternalId is not null)
        {
            // The same externalId arrived twice at once: the unique index let one in.
            db.ChangeTracker.Clear();
            if (await FindAsync(statement.ExternalId, CancellationToken.None) is { } raced) return new PublishResult.Duplicate(raced);
            throw;
        }

        if (dispatch is not null) await contents.RenderInWebAsync(dispatch, cancellationToken);
        await bus.TryPublishAsync(new StatementPublished(statement.Id, dispatch?.Id), logger); // else the sweeper plans the queued dispatch
        return new PublishResult.Accepted(new PublishStatementResponse(statement.Id, dispatch?.Id));
    }

    private async Task<Dispatch?> QueueImmediateDispatchAsync(Statement statement, List<int> listIds, DateTime now, CancellationToken cancellationToken)
    {
        if (!await AnyoneImmediateAsync(listIds, cancellationToken)) return null;

        var dispatch = Dispatch.Queued(DispatchKind.Statement, now);
        dispatch.StatementId = statement.Id;
        db.Dispatches.Add(dispatch);
        await db.SaveChangesAsync(cancellationToken);
        return dispatch;
    }

    private async Task<PublishStatementResponse?> FindAsync(string externalId, CancellationToken cancellationToken)
    {
        var id = await db.Statements.AsNoTracking().Where(s => s.ExternalId == externalId).Select(s => (long?)s.Id).SingleOrDefaultAsync(cancellationToken);
        if (id is null) return null;
        return new PublishStatementResponse(id.Value, await DispatchOfAsync(id.Value, cancellationToken));
    }

    /// <summary>The statement's audience: given, a saved segment's, or everyone.</summary>
    private async Task<Audience> AudienceOfAsync(PublishStatementRequest request, ValidationErrors errors, CancellationToken cancellationToken)
    {
        var audience = Audience.Check(request.Audience, "audience", errors);
        if (string.IsNullOrWhiteSpace(request.Segment)) return audience;
        var slug = request.Segment.Trim();
        if (!audience.IsEveryone) errors.Add("segment", "Give either 'audience' or 'segment', not both.");
        else if (await Segments.FindAsync(db, slug, cancellationToken) is { } segment) return segment.Audience;
        else errors.Add("segment", $"There is no segment '{slug}'.");
        return audience;
    }

    private sealed record ListName(int Id, string Slug);

    private Task<List<ListName>> ListsNamedAsync(List<string> slugs, CancellationToken cancellationToken) =>
        db.Lists.AsNoTracking().Where(l => slugs.Contains(l.Slug)).Select(l => new ListName(l.Id, l.Slug)).ToListAsync(cancellationToken);

    private Task<bool> AnyoneImmediateAsync(List<int> listIds, CancellationToken cancellationToken) =>
        db.Subscriptions.AnyAsync(s => listIds.Contains(s.ListId) && s.Status == SubscriptionStatus.Confirmed && s.Cadence == Cadence.Immediate,
            cancellationToken);

    private Task<long?> DispatchOfAsync(long statementId, CancellationToken cancellationToken) =>
        db.Dispatches.AsNoTracking()
            .Where(d => d.StatementId == statementId && d.Kind == DispatchKind.Statement)
            .OrderBy(d => d.Id).Select(d => (long?)d.Id).FirstOrDefaultAsync(cancellationToken);

    /// <summary>Runs the queries of publishing against nothing — no list, no statement 0 — so the first statement after
    /// start finds them compiled (see Dispatching.SendPathWarmUp). Changes nothing.</summary>
    internal async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        await ListsNamedAsync([], cancellationToken);
        await FindAsync("", cancellationToken);
        await DispatchOfAsync(0, cancellationToken);
        await AnyoneImmediateAsync([], cancellationToken);
    }

    private static string? BodyOf(string? html, string? markdown) =>
        !string.IsNullOrWhiteSpace(markdown) ? SafeHtml.FromMarkdown(markdown)
        : !string.IsNullOrWhiteSpace(html) ? SafeHtml.Sanitize(html)
        : null;
}

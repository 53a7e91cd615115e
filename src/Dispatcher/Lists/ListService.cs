using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Lists;

/// <summary>What a change to a list came to.</summary>
public abstract record ListChange
{
    public sealed record Done(MailingList List) : ListChange;
    public sealed record Invalid(ValidationErrors Errors) : ListChange;
    public sealed record NotFound : ListChange;
    public sealed record SlugTaken(string Slug) : ListChange;
}

/// <summary>Creating, changing and deleting lists — the one place for the API and the admin pages: validated, a slug
/// taken (also by someone else a moment ago) refused, every change audited.</summary>
public sealed class ListService(DispatcherDb db, TimeProvider clock)
{
    public async Task<ListChange> CreateAsync(CreateListRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Any) return new ListChange.Invalid(errors);
        var slug = request.Slug!.Trim();
        if (await db.Lists.AnyAsync(l => l.Slug == slug, cancellationToken)) return new ListChange.SlugTaken(slug);

        var list = new MailingList
        {
            Slug = slug,
            Name = request.Name!.Trim(),
            Description = request.Description?.Trim() is { Length: > 0 } d ? d : null,
            Introduction = request.Introduction?.Trim() is { Length: > 0 } i ? i : null,
            Public = request.Public ?? true,
            DoubleOptIn = request.DoubleOptIn ?? true,
            RequireApproval = request.RequireApproval ?? false,
            AskFor = CreateListRequest.CheckAskFor(request.AskFor, new ValidationErrors()),
            WelcomeSubject = request.WelcomeSubject?.Trim() is { Length: > 0 } s ? s : null,
            WelcomeMarkdown = request.WelcomeMarkdown?.Trim() is { Length: > 0 } w ? w : null,
            WelcomeTranslations = CreateListRequest.CheckWelcomeTranslations(request.WelcomeTranslations, new ValidationErrors()),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Lists.Add(list);
        db.Audit.Add(AuditLog.Entry(clock, caller, "list.created", $"list:{slug}", list.Name));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return new ListChange.SlugTaken(slug); // created by someone else a moment ago
        }
        return new ListChange.Done(list);
    }

    public async Task<ListChange> UpdateAsync(string slug, UpdateListRequest request, Caller caller, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Any) return new ListChange.Invalid(errors);
        var list = await db.Lists.SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return new ListChange.NotFound();
        if (request.ValidateWelcome(list) is { Any: true } welcome) return new ListChange.Invalid(welcome);
        request.ApplyTo(list);
        db.Audit.Add(AuditLog.Entry(clock, caller, "list.updated", $"list:{slug}"));
        await db.SaveChangesAsync(cancellationToken);
        return new ListChange.Done(list);
    }

    /// <summary>Its subscriptions go with it; people stay, with their other lists; statements and dispatches stay.</summary>
    public async Task<ListChange> DeleteAsync(string slug, Caller caller, CancellationToken cancellationToken)
    {
        var list = await db.Lists.SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return new ListChange.NotFound();
        db.Lists.Remove(list);
        db.Audit.Add(AuditLog.Entry(clock, caller, "list.deleted", $"list:{slug}", list.Name));
        await db.SaveChangesAsync(cancellationToken);
        return new ListChange.Done(list);
    }

    public static string SlugTakenMessage(string slug) => $"A list with slug '{slug}' exists already.";
}

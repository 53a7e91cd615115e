using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Mail.Branding;

/// <summary>Reads and saves the branding and text blocks (admin page and API alike), audited; the next dispatch
/// prepared in any process uses them.</summary>
public sealed class BrandingStore(DispatcherDb db, BrandingSource source, TimeProvider clock)
{
    public async Task<BrandingInput> ReadAsync(CancellationToken cancellationToken)
    {
        var (row, texts) = await BrandingSource.ReadAsync(db, cancellationToken);
        return new BrandingInput(row?.OrganisationName, row?.LogoUrl, row?.AccentColour, row?.BackgroundColour, row?.FooterMarkdown,
            EmailTexts.Keys.ToDictionary(k => k, k => texts.FirstOrDefault(t => $"{t.Template}.{t.Block}" == k)?.Markdown));
    }

    /// <summary>Replaces the branding and every text block with <paramref name="input"/> (validated by the caller).</summary>
    public async Task SaveAsync(BrandingInput input, Caller caller, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var row = input.ToRow();
        row.UpdatedAt = now;
        row.UpdatedBy = caller.Actor;
        var existing = await db.Branding.SingleOrDefaultAsync(b => b.Id == EmailBranding.SingleId, cancellationToken);
        if (existing is null) db.Branding.Add(row);
        else db.Entry(existing).CurrentValues.SetValues(row);
        await db.EmailTexts.ExecuteDeleteAsync(cancellationToken);
        db.EmailTexts.AddRange(input.ToTexts(caller.Actor, now));
        db.Audit.Add(AuditLog.Entry(clock, caller, "branding.updated", "branding",
            $"{row.OrganisationName ?? "(Mail:FromName)"}; {input.Texts?.Count(t => !string.IsNullOrWhiteSpace(t.Value)) ?? 0} text blocks"));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await source.GetAsync(cancellationToken, now: true);
    }
}

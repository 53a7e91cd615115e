using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Mail.Branding;

/// <summary>The branding in use, read from the database at most every two seconds (every process sees an edit made in
/// any of them), or at once after an edit in this process.</summary>
public sealed class BrandingSource(IServiceScopeFactory? scopes, string fallbackName)
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile Brand _current = Brand.Default(fallbackName);
    private DateTime _checkedAt = DateTime.MinValue;

    public string FallbackName => fallbackName;

    public async Task<Brand> GetAsync(CancellationToken cancellationToken, bool now = false)
    {
        if (scopes is null || (!now && DateTime.UtcNow - _checkedAt < RefreshEvery)) return _current;
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            if (!now && DateTime.UtcNow - _checkedAt < RefreshEvery) return _current;
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            var (row, texts) = await ReadAsync(db, cancellationToken);
            _current = Brand.From(row, texts, fallbackName);
            _checkedAt = DateTime.UtcNow;
            return _current;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    public static async Task<(EmailBranding? Row, List<EmailText> Texts)> ReadAsync(DispatcherDb db, CancellationToken cancellationToken) =>
        (await db.Branding.AsNoTracking().SingleOrDefaultAsync(b => b.Id == EmailBranding.SingleId, cancellationToken),
         await db.EmailTexts.AsNoTracking().ToListAsync(cancellationToken));
}

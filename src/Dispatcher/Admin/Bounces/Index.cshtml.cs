using Dispatcher.Access;
using Dispatcher.Bounces;
using Dispatcher.Bounces.Mailbox;
using Dispatcher.Data;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Admin.Bounces;

[Authorize(Policy = Policies.Admin)]
public sealed class BouncesModel(DispatcherDb db, TimeProvider clock, IOptions<BounceMailboxOptions> mailbox, BounceMailboxReader? reader = null) : AdminPage
{
    public sealed record Row(DateTime At, string? Email, string Kind, string Source, string? Reason);

    public sealed record KeptRow(long Id, DateTime At, string? From, string? Subject, string Reason);

    public List<KeptRow> Kept { get; private set; } = [];

    /// <summary>"IMAP mail.example.org" or null when no bounce mailbox is set.</summary>
    public string? Mailbox => mailbox.Value.Enabled ? $"{(mailbox.Value.UsesImap ? "IMAP" : "POP3")} {mailbox.Value.Server.Host}" : null;

    public string? MailboxError => reader?.LastError;

    public List<Row> Items { get; private set; } = [];
    public int Hard30 { get; private set; }
    public int Soft30 { get; private set; }
    public int Complaints30 { get; private set; }
    public int Suppressed { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow().UtcDateTime.AddDays(-30);
        var recent = await db.Bounces.AsNoTracking().Where(b => b.CreatedAt >= since).GroupBy(b => b.Kind)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        Hard30 = recent.Where(r => r.Key == BounceKind.Hard).Sum(r => r.Count);
        Soft30 = recent.Where(r => r.Key == BounceKind.Soft).Sum(r => r.Count);
        Complaints30 = recent.Where(r => r.Key == BounceKind.Complaint).Sum(r => r.Count);
        Suppressed = await db.Suppressions.CountAsync(cancellationToken);
        Items = await (from b in db.Bounces.AsNoTracking()
                       join p in db.Subscribers on b.SubscriberId equals p.Id into people
                       from p in people.DefaultIfEmpty()
                       orderby b.Id descending
                       select new Row(b.CreatedAt, p == null ? null : p.Email, b.Kind.ToString().ToLower(), b.Source, b.Reason))
            .Take(200).ToListAsync(cancellationToken);
        Kept = await db.KeptMail.AsNoTracking().OrderByDescending(k => k.Id).Take(100)
            .Select(k => new KeptRow(k.Id, k.ReceivedAt, k.From, k.Subject, k.Reason)).ToListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnGetKeptAsync(long id, CancellationToken cancellationToken) =>
        await db.KeptMail.AsNoTracking().Where(k => k.Id == id).Select(k => k.Raw).SingleOrDefaultAsync(cancellationToken) is { } raw
            ? File(raw, "message/rfc822", $"kept-{id}.eml")
            : NotFound();

    public async Task<IActionResult> OnPostDeleteKeptAsync(long id, CancellationToken cancellationToken)
    {
        if (await db.KeptMail.Where(k => k.Id == id).ExecuteDeleteAsync(cancellationToken) > 0)
        {
            db.Audit.Add(Dispatcher.Audit.AuditLog.Entry(clock, Caller, "bounce.kept-deleted", $"kept:{id}"));
            await db.SaveChangesAsync(cancellationToken);
        }
        return Done("Deleted.", null);
    }
}

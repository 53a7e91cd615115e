using Dispatcher.Access;
using Dispatcher.Alerts;
using Dispatcher.Audit;
using Dispatcher.Bounces;
using Dispatcher.Bounces.Mailbox;
using Dispatcher.Digests;
using Dispatcher.Feeds;
using Dispatcher.Dispatching;
using Dispatcher.Lists;
using Dispatcher.Statements;
using Dispatcher.Subscribers;
using Dispatcher.Mail.Templates;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Data;

/// <summary>The source of truth. One model, two providers (SQLite for the embedded default, PostgreSQL to scale out),
/// each with its own migrations: see <see cref="SqliteDispatcherDb"/> and <see cref="PostgresDispatcherDb"/>.</summary>
public abstract class DispatcherDb(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<MailingList> Lists => Set<MailingList>();
    public DbSet<Subscriber> Subscribers => Set<Subscriber>();
    public DbSet<Subscription> Subscriptions => Set<Subscription>();
    public DbSet<Statement> Statements => Set<Statement>();
    public DbSet<StatementList> StatementLists => Set<StatementList>();
    public DbSet<StatementTranslation> StatementTranslations => Set<StatementTranslation>();
    public DbSet<AlertTranslation> AlertTranslations => Set<AlertTranslation>();
    public DbSet<Dispatch> Dispatches => Set<Dispatch>();
    public DbSet<Delivery> Deliveries => Set<Delivery>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<AuditEntry> Audit => Set<AuditEntry>();
    public DbSet<Mail.Branding.EmailBranding> Branding => Set<Mail.Branding.EmailBranding>();
    public DbSet<Mail.Branding.EmailText> EmailTexts => Set<Mail.Branding.EmailText>();
    public DbSet<Setting> Settings => Set<Setting>();
    public DbSet<Suppression> Suppressions => Set<Suppression>();
    public DbSet<Segment> Segments => Set<Segment>();
    public DbSet<Bounce> Bounces => Set<Bounce>();
    public DbSet<KeptMail> KeptMail => Set<KeptMail>();
    public DbSet<Faults.FailedMessage> FailedMessages => Set<Faults.FailedMessage>();
    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<AlertList> AlertLists => Set<AlertList>();
    public DbSet<DigestRun> DigestRuns => Set<DigestRun>();
    public DbSet<DispatchEmail> DispatchEmails => Set<DispatchEmail>();
    public DbSet<Feed> Feeds => Set<Feed>();
    public DbSet<Events.IntegrationEvent> IntegrationEvents => Set<Events.IntegrationEvent>();
    public DbSet<Webhooks.WebhookEndpoint> WebhookEndpoints => Set<Webhooks.WebhookEndpoint>();
    public DbSet<Webhooks.WebhookDelivery> WebhookDeliveries => Set<Webhooks.WebhookDelivery>();
    public DbSet<FeedList> FeedLists => Set<FeedList>();
    public DbSet<WorkerProcess> Workers => Set<WorkerProcess>();
    public DbSet<User> Users => Set<User>();
    public DbSet<EmailTemplate> EmailTemplates => Set<EmailTemplate>();

    /// <summary>The keys that protect login cookies and antiforgery tokens, shared by every Web process.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>True on PostgreSQL: the few statements the two providers write differently ask.</summary>
    public abstract bool IsPostgres { get; }

    /// <summary>For a unit of work of several statements on a hot path (a batch being sent): keeps one connection open
    /// until the context is disposed, where opening one per statement costs (SQLite). A no-op where it does not.</summary>
    public virtual Task KeepConnectionOpenAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<MailingList>(e =>
        {
            e.ToTable("lists");
            e.HasIndex(l => l.Slug).IsUnique();
            e.Property(l => l.Slug).HasMaxLength(64);
            e.Property(l => l.Name).HasMaxLength(200);
            e.Property(l => l.Description).HasMaxLength(2000);
            e.Property(l => l.Introduction).HasMaxLength(Mail.Branding.EmailTexts.MaxMarkdown);
            e.Property(l => l.AskForNames).HasColumnName("ask_for").HasMaxLength(500);
            e.Ignore(l => l.AskFor);
            e.Property(l => l.WelcomeTranslationsJson).HasColumnName("welcome_translations");
            e.Ignore(l => l.WelcomeTranslations);
        });

        model.Entity<Subscriber>(e =>
        {
            e.HasIndex(s => s.Email).IsUnique();
            e.Property(s => s.Email).HasMaxLength(320);
            e.Property(s => s.Name).HasMaxLength(200);
            e.Property(s => s.Language).HasMaxLength(35);
            e.Property(s => s.TimeZone).HasMaxLength(64);
            // One JSON object in a text column on both databases, read and written whole; an audience's SQL reads keys of
            // it with the database's JSON functions (Subscribers/Audience).
            e.Property(s => s.Attributes).HasConversion(
                    a => SubscriberAttributes.ToJson(a),
                    json => SubscriberAttributes.FromJson(json),
                    new Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer<Dictionary<string, string>>(
                        (a, b) => a!.Count == b!.Count && !a.Except(b).Any(),
                        a => a.Aggregate(0, (hash, pair) => hash ^ HashCode.Combine(pair.Key, pair.Value)),
                        a => new Dictionary<string, string>(a)))
                .HasDefaultValue(new Dictionary<string, string>());
            e.HasMany(s => s.Subscriptions).WithOne(s => s.Subscriber).HasForeignKey(s => s.SubscriberId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Subscription>(e =>
        {
            e.HasKey(s => new { s.SubscriberId, s.ListId });
            // The planner's fan-out query: confirmed people of a list with a cadence.
            e.HasIndex(s => new { s.ListId, s.Status, s.Cadence });
            e.HasOne(s => s.List).WithMany().HasForeignKey(s => s.ListId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Statement>(e =>
        {
            e.HasIndex(s => s.ExternalId).IsUnique();
            e.HasIndex(s => s.PublishedAt);
            e.Property(s => s.ExternalId).HasMaxLength(500);
            e.Property(s => s.Title).HasMaxLength(500);
            e.Property(s => s.Author).HasMaxLength(200);
            e.Property(s => s.Url).HasMaxLength(2000);
            e.Property(s => s.Language).HasMaxLength(35);
            e.Property(s => s.AudienceJson).HasColumnName("audience"); // null: everyone on its lists
            e.Ignore(s => s.Audience);
            e.HasMany(s => s.Lists).WithOne().HasForeignKey(l => l.StatementId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(s => s.Translations).WithOne().HasForeignKey(t => t.StatementId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<StatementTranslation>(e =>
        {
            e.HasKey(t => new { t.StatementId, t.Language });
            e.Property(t => t.Language).HasMaxLength(35);
            e.Property(t => t.Title).HasMaxLength(500);
            e.Property(t => t.Author).HasMaxLength(200);
            e.Property(t => t.Url).HasMaxLength(2000);
        });

        model.Entity<StatementList>(e =>
        {
            e.HasKey(s => new { s.StatementId, s.ListId });
            // Digests read a list's statements after a cursor.
            e.HasIndex(s => new { s.ListId, s.StatementId });
            e.HasOne<MailingList>().WithMany().HasForeignKey(s => s.ListId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Dispatch>(e =>
        {
            e.HasIndex(d => new { d.Status, d.Kind });
            e.HasIndex(d => d.StatementId);
            e.HasIndex(d => d.AlertId);
            e.HasOne<Statement>().WithMany().HasForeignKey(d => d.StatementId).OnDelete(DeleteBehavior.SetNull);
            e.HasOne<Alert>().WithMany().HasForeignKey(d => d.AlertId).OnDelete(DeleteBehavior.SetNull);
        });

        model.Entity<Delivery>(e =>
        {
            // One row per person per dispatch: the planner's dedupe is enforced here too.
            e.HasIndex(d => new { d.DispatchId, d.SubscriberId }).IsUnique();
            // Ends with the id so that a batch's claim (dispatch, pending, id range) is one narrow index range whatever
            // the planner believes: on a dispatch just planned, PostgreSQL's statistics still say the table is small,
            // and with (dispatch_id, status) alone each claim walked every pending row of the dispatch.
            e.HasIndex(d => new { d.DispatchId, d.Status, d.Id });
            e.HasIndex(d => d.SubscriberId);
            // The sweeper's two scans stay small: only leased rows and only rows waiting for a retry.
            e.HasIndex(d => d.LeaseUntil).HasFilter("status = 1").HasDatabaseName("ix_deliveries_leased");
            e.HasIndex(d => d.RetryAt).HasFilter("retry_at IS NOT NULL").HasDatabaseName("ix_deliveries_retry");
            // What a dead worker held, found at once (WorkerHeartbeat).
            e.HasIndex(d => d.WorkerId).HasFilter("status = 1").HasDatabaseName("ix_deliveries_held_by");
            e.Property(d => d.ClaimId).IsConcurrencyToken();
            e.Property(d => d.RelayResponse).HasMaxLength(1000);
            // No foreign keys (docs/adr/0006): PostgreSQL checks one with a query per row, most of planning a dispatch
            // while nothing is sent. Rows are written for a dispatch that exists
            // (the planner's, in the transaction that stamps it; a confirmation's, after it) and dispatches are never
            // deleted; SubscriberEraser unlinks an erased person's rows itself, and a row written while they were being
            // erased is unlinked when its turn comes (BatchSender: "erased before their turn") or its dispatch is
            // cancelled (DispatchControl).
        });

        model.Entity<WorkerProcess>(e =>
        {
            e.Property(w => w.Id).ValueGeneratedNever();
            e.Property(w => w.Name).HasMaxLength(300);
        });

        model.Entity<ApiKey>(e =>
        {
            e.HasIndex(k => k.KeyHash).IsUnique();
            e.Property(k => k.Name).HasMaxLength(200);
        });

        model.Entity<AuditEntry>(e =>
        {
            e.ToTable("audit");
            e.Property(a => a.Actor).HasMaxLength(400);
            e.Property(a => a.Action).HasMaxLength(100);
            e.Property(a => a.Target).HasMaxLength(400);
            e.HasIndex(a => new { a.Action, a.At }); // what happened lately: test sends per hour, lockouts
            e.HasIndex(a => new { a.Target, a.Id }); // what happened to one thing: a dispatch's history
        });

        model.Entity<Setting>(e => e.HasKey(s => s.Key));

        model.Entity<Suppression>(e =>
        {
            e.HasKey(s => s.AddressHash);
            e.Property(s => s.AddressHash).HasMaxLength(64);
            e.Property(s => s.Reason).HasMaxLength(100);
        });

        model.Entity<Segment>(e =>
        {
            e.Property(s => s.Slug).HasMaxLength(64);
            e.HasIndex(s => s.Slug).IsUnique();
            e.Property(s => s.Name).HasMaxLength(200);
            e.Property(s => s.AudienceJson).HasColumnName("audience");
            e.Ignore(s => s.Audience);
            e.Property(s => s.CreatedBy).HasMaxLength(100);
        });

        model.Entity<Alert>(e =>
        {
            e.Property(a => a.Subject).HasMaxLength(300);
            e.Property(a => a.ActionUrl).HasMaxLength(2000);
            e.Property(a => a.ActionLabel).HasMaxLength(100);
            e.Property(a => a.CreatedBy).HasMaxLength(100);
            e.Property(a => a.RequestedBy).HasMaxLength(100);
            e.Property(a => a.ApprovedBy).HasMaxLength(100);
            e.Property(a => a.AudienceJson).HasColumnName("audience"); // null: everyone on its lists
            e.Ignore(a => a.Audience);
            e.HasIndex(a => a.Status);
            e.HasMany(a => a.Lists).WithOne().HasForeignKey(l => l.AlertId).OnDelete(DeleteBehavior.Cascade);
            e.Property(a => a.Language).HasMaxLength(35);
            e.HasMany(a => a.Translations).WithOne().HasForeignKey(t => t.AlertId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<AlertTranslation>(e =>
        {
            e.HasKey(t => new { t.AlertId, t.Language });
            e.Property(t => t.Language).HasMaxLength(35);
            e.Property(t => t.Subject).HasMaxLength(300);
            e.Property(t => t.ActionUrl).HasMaxLength(2000);
            e.Property(t => t.ActionLabel).HasMaxLength(100);
        });

        model.Entity<AlertList>(e =>
        {
            e.HasKey(a => new { a.AlertId, a.ListId });
            e.HasIndex(a => a.ListId);
            e.HasOne<MailingList>().WithMany().HasForeignKey(a => a.ListId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<User>(e =>
        {
            e.HasIndex(u => u.Email).IsUnique();
            e.Property(u => u.Email).HasMaxLength(320);
            e.Property(u => u.Name).HasMaxLength(200);
            e.Property(u => u.SecurityStamp).HasMaxLength(64);
        });

        model.Entity<EmailTemplate>(e =>
        {
            e.HasKey(t => t.Name);
            e.Property(t => t.Name).HasMaxLength(100);
            e.Property(t => t.UpdatedBy).HasMaxLength(400);
        });

        model.Entity<Mail.Branding.EmailBranding>(e =>
        {
            e.ToTable("branding");
            e.Property(b => b.Id).ValueGeneratedNever();
            e.Property(b => b.OrganisationName).HasMaxLength(200);
            e.Property(b => b.LogoUrl).HasMaxLength(2000);
            e.Property(b => b.AccentColour).HasMaxLength(7);
            e.Property(b => b.BackgroundColour).HasMaxLength(7);
            e.Property(b => b.FooterMarkdown).HasMaxLength(Mail.Branding.EmailTexts.MaxMarkdown);
            e.Property(b => b.UpdatedBy).HasMaxLength(400);
        });

        model.Entity<Mail.Branding.EmailText>(e =>
        {
            e.HasKey(t => new { t.Template, t.Block });
            e.Property(t => t.Template).HasMaxLength(100);
            e.Property(t => t.Block).HasMaxLength(100);
            e.Property(t => t.Markdown).HasMaxLength(Mail.Branding.EmailTexts.MaxMarkdown);
            e.Property(t => t.UpdatedBy).HasMaxLength(400);
        });

        model.Entity<DigestRun>(e =>
        {
            e.Property(r => r.TimeZone).HasMaxLength(64);
            e.HasIndex(r => new { r.Cadence, r.TimeZone, r.Period }).IsUnique();
        });

        model.Entity<DispatchEmail>(e =>
        {
            e.HasKey(m => new { m.DispatchId, m.ListId, m.Language });
            e.Property(m => m.Language).HasMaxLength(35);
            e.Property(m => m.Subject).HasMaxLength(1000);
            e.Property(m => m.Nonce).HasMaxLength(16);
            e.HasOne<Dispatch>().WithMany().HasForeignKey(m => m.DispatchId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Events.IntegrationEvent>(e =>
        {
            e.Property(x => x.Type).HasMaxLength(64);
            e.HasIndex(x => new { x.FannedOut, x.Id }); // the sender's "what is new"
        });

        model.Entity<Webhooks.WebhookEndpoint>(e =>
        {
            e.Property(x => x.Url).HasMaxLength(2000);
            e.Property(x => x.EventTypes).HasMaxLength(1000);
            e.Property(x => x.Description).HasMaxLength(500);
            e.Property(x => x.CreatedBy).HasMaxLength(100);
            e.Ignore(x => x.Events);
        });

        model.Entity<Webhooks.WebhookDelivery>(e =>
        {
            e.Property(x => x.Type).HasMaxLength(64);
            e.Property(x => x.LastError).HasMaxLength(1000);
            e.Ignore(x => x.MessageId);
            e.HasIndex(x => new { x.EndpointId, x.Status, x.Id }); // each endpoint's oldest pending
            e.HasOne<Webhooks.WebhookEndpoint>().WithMany().HasForeignKey(x => x.EndpointId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Feed>(e =>
        {
            e.Property(f => f.Url).HasMaxLength(2000);
            e.Property(f => f.ETag).HasMaxLength(500);
            e.Property(f => f.LastModified).HasMaxLength(100);
            e.Property(f => f.LastError).HasMaxLength(1000);
            e.HasIndex(f => f.NextPollAt);
            e.Property(f => f.Language).HasMaxLength(35);
            e.HasOne<Feed>().WithMany().HasForeignKey(f => f.TranslatesFeedId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(f => f.Lists).WithOne().HasForeignKey(l => l.FeedId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<FeedList>(e =>
        {
            e.HasKey(f => new { f.FeedId, f.ListId });
            e.HasOne<MailingList>().WithMany().HasForeignKey(f => f.ListId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Bounce>(e =>
        {
            e.HasIndex(b => b.CreatedAt);
            e.HasIndex(b => b.SubscriberId);
            e.Property(b => b.Reason).HasMaxLength(1000);
            e.Property(b => b.Source).HasMaxLength(20);
            e.Property(b => b.ReportKey).HasMaxLength(64);
            e.HasIndex(b => b.ReportKey).IsUnique();
            e.HasOne<Subscriber>().WithMany().HasForeignKey(b => b.SubscriberId).OnDelete(DeleteBehavior.SetNull);
        });

        model.Entity<Faults.FailedMessage>(e =>
        {
            e.Property(f => f.MessageType).HasMaxLength(200);
            e.Property(f => f.Payload).HasMaxLength(4000);
            e.Property(f => f.Error).HasMaxLength(2000);
        });

        model.Entity<KeptMail>(e =>
        {
            e.ToTable("kept_mail");
            e.HasIndex(k => k.ReportKey).IsUnique();
            e.HasIndex(k => k.ReceivedAt);
            e.Property(k => k.ReportKey).HasMaxLength(64);
            e.Property(k => k.Reason).HasMaxLength(500);
            e.Property(k => k.From).HasMaxLength(500);
            e.Property(k => k.Subject).HasMaxLength(500);
        });
    }
}

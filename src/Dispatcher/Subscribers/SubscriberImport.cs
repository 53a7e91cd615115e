using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;
using Dispatcher.Access;
using Dispatcher.Audit;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Lists;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

public sealed record RejectedRow(int Line, string? Email, string Error);

/// <summary>What an import did. <c>Rejected</c> lists the first <see cref="SubscriberImport.MaxRejectedListed"/> bad
/// rows; <c>RejectedCount</c> counts them all.</summary>
public sealed record ImportResult(int Imported, int Updated, int Unchanged, IReadOnlyList<RejectedRow> Rejected, int RejectedCount);

/// <summary>Imports a CSV (header row with "email" and optional "name", "cadence", "alerts", "language", "timeZone"; any
/// other column is an attribute of the person, e.g. "country"; an export's "status", "subscribed_at" and "confirmed_at"
/// are read past) into a list with CsvHelper,
/// streaming it in batches so memory stays flat whatever the file's size. Good rows are kept even when others are
/// bad; each bad row is reported with its line number (the header is line 1). Re-importing the same file changes
/// nothing. People who left, bounced, complained or were erased are not added back: only they can do that.</summary>
public sealed class SubscriberImport(
    DispatcherDb db,
    SuppressionList suppressions,
    Confirmations confirmations,
    Welcomes welcomes,
    TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<Hosting.DispatcherOptions> options)
{
    /// <summary>The columns that are not attributes: what the import reads, and what an export adds that it does not.</summary>
    private static readonly HashSet<string> Columns = ["email", "name", "cadence", "alerts", "language", "timezone", "status", "subscribed_at", "confirmed_at"];

    public const int BatchSize = 1000;
    public const int MaxRejectedListed = 1000;

    private sealed record Row(int Line, string Email, string? Name, Cadence? Cadence, bool? Alerts, ReaderDetails Details);

    /// <summary>The header row cannot be imported: nothing is.</summary>
    public class BadHeaderException(string message) : Exception(message);

    public sealed class MissingEmailColumnException() : BadHeaderException("The first line must be a header naming an 'email' column (and optionally name, cadence, alerts, language, timeZone and attributes).");

    public sealed class AttributeColumnException(string column)
        : BadHeaderException($"The column '{column}' would be an attribute, and an attribute's name is 1 to 40 letters, digits, '_' or '-' (e.g. country, city). Rename or remove the column.");

    /// <param name="welcome">Send the list's welcome email to those whose subscription this import confirms.</param>
    public async Task<ImportResult> ImportAsync(MailingList list, Stream csv, bool confirmed, Caller caller, CancellationToken cancellationToken,
        bool welcome = false)
    {
        var result = new Counts();
        var queued = new Queued(welcome);

        using var reader = new StreamReader(csv, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        string? badData = null;
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = true,
            DetectDelimiter = true, // "," or ";" (spreadsheets in many locales) or tab
            PrepareHeaderForMatch = args => args.Header.Trim().ToLowerInvariant(),
            MissingFieldFound = null,
            HeaderValidated = null,
            IgnoreBlankLines = true,
            TrimOptions = TrimOptions.Trim,
            BadDataFound = args => badData = args.Field,
        };
        using var parser = new CsvReader(reader, configuration);

        if (!await parser.ReadAsync() || !parser.ReadHeader() || !parser.HeaderRecord!.Any(h => h.Trim().Equals("email", StringComparison.OrdinalIgnoreCase)))
            throw new MissingEmailColumnException();
        var attributeColumns = parser.HeaderRecord!.Select(h => h.Trim()).Where(h => !Columns.Contains(h.ToLowerInvariant())).ToList();
        if (attributeColumns.FirstOrDefault(h => !ReaderDetails.IsAttributeName(h.ToLowerInvariant())) is { } odd)
            throw new AttributeColumnException(odd);
        var languages = options.Value.ReaderLanguages;

        var batch = new List<Row>(BatchSize);
        try
        {
            while (await parser.ReadAsync())
            {
                var line = LineOf(parser);
                var row = Parse(parser, line, badData, result, attributeColumns, languages);
                badData = null;
                if (row is not null) batch.Add(row);
                if (batch.Count < BatchSize) continue;
                await SaveBatchAsync(list, batch, confirmed, queued, result, cancellationToken);
                batch.Clear();
            }
        }
        catch (CsvHelperException e) when (e is not FieldValidationException)
        {
            // The rest of the file cannot be read: keep what was good so far and say where it stopped.
            result.Reject(new RejectedRow(e.Context?.Parser?.RawRow ?? 0, null, $"the file cannot be read from here on: {e.Message.Split('\n')[0]}"));
        }
        if (batch.Count > 0) await SaveBatchAsync(list, batch, confirmed, queued, result, cancellationToken);

        db.Audit.Add(AuditLog.Entry(clock, caller, "subscribers.imported", $"list:{list.Slug}",
            $"imported {result.Imported}, updated {result.Updated}, unchanged {result.Unchanged}, rejected {result.RejectedCount}" +
            (confirmed ? "" : ", asked to confirm") + (queued.Welcome is null ? "" : ", welcomed")));
        await db.SaveChangesAsync(cancellationToken);
        await confirmations.PublishAsync(queued.Confirmation, cancellationToken);
        await welcomes.PublishAsync(queued.Welcome, cancellationToken);
        return result.ToResult();
    }

    /// <summary>The line the record starts on: the parser counts the lines it read, including any inside quotes.</summary>
    private static int LineOf(CsvReader parser)
    {
        var raw = parser.Parser.RawRecord;
        var embedded = raw.Count(c => c == '\n') - (raw.EndsWith('\n') ? 1 : 0);
        return parser.Parser.RawRow - embedded;
    }

    private static Row? Parse(CsvReader parser, int line, string? badData, Counts result, List<string> attributeColumns, IReadOnlyList<string> languages)
    {
        parser.TryGetField<string>("email", out var rawEmail);
        if (badData is not null)
        {
            result.Reject(new RejectedRow(line, rawEmail, "malformed CSV: a quote in an unquoted field"));
            return null;
        }
        if (string.IsNullOrWhiteSpace(rawEmail))
        {
            result.Reject(new RejectedRow(line, null, "email is empty"));
            return null;
        }
        if (!EmailAddress.TryNormalise(rawEmail, out var email, out var emailError))
        {
            result.Reject(new RejectedRow(line, rawEmail, emailError));
            return null;
        }

        parser.TryGetField<string>("name", out var name);
        if (name is { Length: > 200 })
        {
            result.Reject(new RejectedRow(line, email, "name has more than 200 characters"));
            return null;
        }

        Cadence? cadence = null;
        if (parser.TryGetField<string>("cadence", out var cadenceText) && !string.IsNullOrWhiteSpace(cadenceText))
        {
            if (!CadenceNames.TryParse(cadenceText, out var parsed))
            {
                result.Reject(new RejectedRow(line, email, $"unknown cadence '{cadenceText}' (immediate, daily or weekly)"));
                return null;
            }
            cadence = parsed;
        }

        bool? alerts = null;
        if (parser.TryGetField<string>("alerts", out var alertsText) && !string.IsNullOrWhiteSpace(alertsText))
        {
            alerts = alertsText.Trim().ToLowerInvariant() switch
            {
                "true" or "yes" or "y" or "1" or "on" => true,
                "false" or "no" or "n" or "0" or "off" => false,
                _ => null,
            };
            if (alerts is null)
            {
                result.Reject(new RejectedRow(line, email, $"alerts must be true or false, not '{alertsText}'"));
                return null;
            }
        }
        // An empty cell leaves what the person has: importing the same file again changes nothing.
        parser.TryGetField<string>("language", out var language);
        parser.TryGetField<string>("timezone", out var timeZone);
        var attributes = new Dictionary<string, string?>();
        foreach (var column in attributeColumns)
            if (parser.TryGetField<string>(column.ToLowerInvariant(), out var value) && !string.IsNullOrWhiteSpace(value))
                attributes[column] = value;
        var errors = new Hosting.ValidationErrors();
        var details = ReaderDetails.Check(language, timeZone, attributes, languages, errors);
        if (errors.Any)
        {
            result.Reject(new RejectedRow(line, email, string.Join(" ", errors.ToDictionary().SelectMany(e => e.Value))));
            return null;
        }
        return new Row(line, email, string.IsNullOrWhiteSpace(name) ? null : name.Trim(), cadence, alerts, details);
    }

    /// <summary>One transaction per batch: a crash keeps whole batches only, and importing again finishes the job.
    /// New people and subscriptions go in with multi-row INSERTs; the (rarer) changes through the change tracker.</summary>
    private async Task SaveBatchAsync(MailingList list, List<Row> batch, bool confirmed, Queued queued, Counts result, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var emails = batch.Select(r => r.Email).Distinct().ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var known = await db.Subscribers.AsNoTracking().Where(s => emails.Contains(s.Email))
            .ToDictionaryAsync(s => s.Email, StringComparer.Ordinal, cancellationToken);
        // Each person's language, time zone and attributes as the rows leave them; written once at the end of the batch.
        var details = known.ToDictionary(k => k.Key, k => Reader.Of(k.Value), StringComparer.Ordinal);
        var detailsChanged = new HashSet<long>();
        var nowConfirmed = new List<long>(); // known people this batch confirms
        var knownIds = known.Values.Select(k => k.Id).ToList();
        var subscriptions = await db.Subscriptions.Where(s => s.ListId == list.Id && knownIds.Contains(s.SubscriberId))
            .ToDictionaryAsync(s => s.SubscriberId, cancellationToken);
        var suppressed = await suppressions.FindAsync(emails, cancellationToken);
        var newestStatement = await db.Statements.MaxAsync(s => (long?)s.Id, cancellationToken) ?? 0;

        // People and subscriptions this batch adds, by address (a later line for the same address updates them).
        var added = new Dictionary<string, (string? Name, Subscription Subscription)>(StringComparer.Ordinal);
        var renamed = new Dictionary<long, string>();
        foreach (var row in batch)
        {
            if (suppressed.Contains(row.Email))
            {
                result.Reject(new RejectedRow(row.Line, row.Email, "suppressed"));
                continue;
            }
            Subscription? subscription = null;
            string? name = null;
            var reader = details.TryGetValue(row.Email, out var r) ? r : details[row.Email] = Reader.Of(new Subscriber { Email = row.Email });
            if (added.TryGetValue(row.Email, out var pending)) (name, subscription) = pending;
            else if (known.TryGetValue(row.Email, out var person))
            {
                name = renamed.GetValueOrDefault(person.Id, person.Name!);
                subscription = subscriptions.GetValueOrDefault(person.Id);
                if (subscription is null)
                {
                    // Known person, new to this list.
                    subscription = NewSubscription(list, row, person.Id, confirmed, now, newestStatement);
                    added[row.Email] = (name, subscription);
                    if (row.Name is not null && row.Name != person.Name) renamed[person.Id] = row.Name;
                    if (reader.Take(row.Details)) detailsChanged.Add(person.Id);
                    result.Imported++;
                    continue;
                }
            }
            else
            {
                added[row.Email] = (row.Name, NewSubscription(list, row, 0, confirmed, now, newestStatement));
                reader.Take(row.Details);
                result.Imported++;
                continue;
            }

            if (subscription.Status is SubscriptionStatus.Unsubscribed or SubscriptionStatus.Bounced or SubscriptionStatus.Complained)
            {
                result.Reject(new RejectedRow(row.Line, row.Email, $"{SubscriptionService.StatusName(subscription.Status)}: only the person can join again"));
                continue;
            }
            var changed = false;
            if (reader.Take(row.Details))
            {
                if (subscription.SubscriberId != 0) detailsChanged.Add(subscription.SubscriberId);
                changed = true;
            }
            if (row.Name is not null && row.Name != name)
            {
                if (added.ContainsKey(row.Email) && subscription.SubscriberId == 0) added[row.Email] = (row.Name, subscription);
                else renamed[known[row.Email].Id] = row.Name;
                changed = true;
            }
            if (row.Cadence is { } cadence && cadence != subscription.Cadence)
            {
                if (subscription.Cadence == Cadence.Immediate) subscription.DigestCursor = newestStatement;
                subscription.Cadence = cadence;
                changed = true;
            }
            if (row.Alerts is { } alerts && alerts != subscription.Alerts) { subscription.Alerts = alerts; changed = true; }
            if (confirmed && subscription.Status == SubscriptionStatus.Unconfirmed)
            {
                subscription.Status = SubscriptionStatus.Confirmed;
                subscription.ConfirmedAt = now;
                if (subscription.SubscriberId != 0) nowConfirmed.Add(subscription.SubscriberId);
                changed = true;
            }
            if (changed) { subscription.UpdatedAt = now; result.Updated++; }
            else result.Unchanged++;
        }

        // New people first (for their ids), then every new subscription, then the changes.
        var newPeople = added.Where(a => a.Value.Subscription.SubscriberId == 0)
            .Select(a => new BulkInsert.NewSubscriber(a.Key, a.Value.Name, details[a.Key].Language, details[a.Key].TimeZone, details[a.Key].AttributesJson))
            .ToList();
        var ids = await BulkInsert.SubscribersAsync(db, newPeople, now, cancellationToken);
        foreach (var (email, (_, subscription)) in added)
            if (subscription.SubscriberId == 0) subscription.SubscriberId = ids[email];
        var newSubscriptions = added.Values.Select(a => a.Subscription).ToList();
        await BulkInsert.SubscriptionsAsync(db, newSubscriptions, cancellationToken);
        foreach (var (subscriberId, name) in renamed)
            await db.Subscribers.Where(s => s.Id == subscriberId).ExecuteUpdateAsync(s => s.SetProperty(x => x.Name, name), cancellationToken);
        foreach (var (email, person) in known.Where(k => detailsChanged.Contains(k.Value.Id)))
        {
            var reader = details[email];
            await db.Subscribers.Where(s => s.Id == person.Id).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Language, reader.Language).SetProperty(x => x.TimeZone, reader.TimeZone)
                .SetProperty(x => x.Attributes, reader.Attributes), cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken); // changed subscriptions (tracked)

        var toConfirm = newSubscriptions.Where(s => s.Status == SubscriptionStatus.Unconfirmed).Select(s => (s.SubscriberId, s.ListId)).ToList();
        if (toConfirm.Count > 0)
        {
            if (queued.Confirmation is null) queued.Confirmation = await confirmations.AddAsync(toConfirm, cancellationToken);
            else await confirmations.AppendAsync(queued.Confirmation, toConfirm, cancellationToken);
        }
        if (queued.Welcomes)
            queued.Welcome = await welcomes.AddAsync(list,
                [.. nowConfirmed, .. newSubscriptions.Where(s => s.Status == SubscriptionStatus.Confirmed).Select(s => s.SubscriberId)], queued.Welcome, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }

    /// <summary>The dispatches an import fills batch by batch and publishes at its end.</summary>
    private sealed class Queued(bool welcomes)
    {
        public bool Welcomes { get; } = welcomes;
        public Dispatch? Confirmation { get; set; }
        public Dispatch? Welcome { get; set; }
    }

    private static Subscription NewSubscription(MailingList list, Row row, long subscriberId, bool confirmed, DateTime now, long newestStatement) => new()
    {
        DigestCursor = newestStatement,
        SubscriberId = subscriberId,
        ListId = list.Id,
        Status = confirmed ? SubscriptionStatus.Confirmed : SubscriptionStatus.Unconfirmed,
        Cadence = row.Cadence ?? Cadence.Immediate,
        Alerts = row.Alerts ?? true,
        CreatedAt = now,
        UpdatedAt = now,
        ConfirmedAt = confirmed ? now : null,
        ConfirmationSentAt = confirmed ? null : now,
    };

    /// <summary>A person's language, time zone and attributes while a batch's rows change them.</summary>
    private sealed class Reader(Subscriber person)
    {
        public static Reader Of(Subscriber subscriber) => new(new Subscriber
        {
            Email = subscriber.Email, Language = subscriber.Language, TimeZone = subscriber.TimeZone,
            Attributes = new Dictionary<string, string>(subscriber.Attributes),
        });

        public string? Language => person.Language;
        public string? TimeZone => person.TimeZone;
        public Dictionary<string, string> Attributes => person.Attributes;
        public string AttributesJson => SubscriberAttributes.ToJson(person.Attributes);

        /// <summary>Applies a row's details; true when they changed anything.</summary>
        public bool Take(ReaderDetails details)
        {
            var (language, zone, attributes) = (person.Language, person.TimeZone, person.Attributes);
            details.ApplyTo(person);
            return language != person.Language || zone != person.TimeZone || !Same(attributes, person.Attributes);
        }

        private static bool Same(Dictionary<string, string> before, Dictionary<string, string> after) =>
            ReferenceEquals(before, after)
            || (before.Count == after.Count && before.All(a => after.TryGetValue(a.Key, out var value) && value == a.Value));
    }

    private sealed class Counts
    {
        private readonly List<RejectedRow> _rejected = [];
        public int Imported;
        public int Updated;
        public int Unchanged;
        public int RejectedCount;

        public void Reject(RejectedRow row)
        {
            RejectedCount++;
            if (_rejected.Count < MaxRejectedListed) _rejected.Add(row);
        }

        public ImportResult ToResult() => new(Imported, Updated, Unchanged, _rejected, RejectedCount);
    }
}

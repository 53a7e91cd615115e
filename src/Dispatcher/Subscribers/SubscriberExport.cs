using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Dispatcher.Data;
using Dispatcher.Lists;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

/// <summary>Streams a list as CSV (re-importable: email, name, cadence, alerts, language, timeZone, then a column per
/// attribute any of them has). Cells that a spreadsheet would run as a formula are prefixed with a quote.</summary>
public static class SubscriberExport
{
    public static async Task WriteAsync(DispatcherDb db, MailingList list, SubscriptionStatus? status, Stream body, CancellationToken cancellationToken)
    {
        var members = from s in db.Subscriptions.AsNoTracking()
                      join p in db.Subscribers.AsNoTracking() on s.SubscriberId equals p.Id
                      where s.ListId == list.Id && (status == null || s.Status == status)
                      orderby p.Id
                      select new { p.Email, p.Name, p.Language, p.TimeZone, p.Attributes, s.Cadence, s.Alerts, s.Status, s.CreatedAt, s.ConfirmedAt };

        // A first pass for the attribute columns: the header comes before the rows.
        var attributes = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var person in members.Select(m => m.Attributes).AsAsyncEnumerable().WithCancellation(cancellationToken))
            attributes.UnionWith(person.Keys);

        await using var writer = new StreamWriter(body, new System.Text.UTF8Encoding(false));
        await using var csv = new CsvWriter(writer, new CsvConfiguration(CultureInfo.InvariantCulture) { InjectionOptions = InjectionOptions.Escape });
        foreach (var header in new[] { "email", "name", "cadence", "alerts", "language", "timeZone" }.Concat(attributes)
                     .Concat(["status", "subscribed_at", "confirmed_at"]))
            csv.WriteField(header);
        await csv.NextRecordAsync();

        await foreach (var row in members.AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            csv.WriteField(row.Email);
            csv.WriteField(row.Name ?? "");
            csv.WriteField(CadenceNames.Of(row.Cadence));
            csv.WriteField(row.Alerts ? "true" : "false");
            csv.WriteField(row.Language ?? "");
            csv.WriteField(row.TimeZone ?? "");
            foreach (var attribute in attributes) csv.WriteField(row.Attributes.GetValueOrDefault(attribute, ""));
            csv.WriteField(SubscriptionService.StatusName(row.Status));
            csv.WriteField(row.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
            csv.WriteField(row.ConfirmedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "");
            await csv.NextRecordAsync();
        }
    }
}

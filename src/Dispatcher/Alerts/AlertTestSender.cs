using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Dispatcher.Messages;
using Microsoft.EntityFrameworkCore;
using MimeKit;

namespace Dispatcher.Alerts;

/// <summary>Sends one copy of an alert, as a subscriber would see it, to the address an organiser asked for, on the
/// urgent lane. Marked "[Test]" and without list headers: the address need not be a subscriber.</summary>
public sealed class AlertTestSender(DispatcherDb db, AlertContent content, UrgentMessages urgent,
    Microsoft.Extensions.Options.IOptions<Hosting.DispatcherOptions> readers, ILogger<AlertTestSender> logger)
{
    public async Task SendAsync(SendTestAlert test, CancellationToken cancellationToken)
    {
        var alert = await db.Alerts.AsNoTracking().Include(a => a.Lists).Include(a => a.Translations).AsSplitQuery()
            .SingleOrDefaultAsync(a => a.Id == test.AlertId, cancellationToken);
        if (alert is null) return;
        var list = (await content.ListsOfAsync(alert, cancellationToken)).FirstOrDefault();
        var email = await content.CompileAsync(alert, list, alert.Language ?? readers.Value.LanguageOf(null)); // as the preview shows it
        var outcome = await urgent.SendAsync(new OutgoingMessage
        {
            Subject = $"[Test] {email.Subject}",
            Body = email.For(AlertPreviews.SamplePerson(test.Email)),
            ToAddress = test.Email,
            MessageId = $"test.{Guid.NewGuid():N}@{urgent.Domain}",
            Bulk = false,
        }, $"Test send of alert {alert.Id}");
        logger.LogInformation("Test copy of alert {AlertId} to {Email}: {Response}", alert.Id, test.Email, outcome.Response);
    }
}

public static class AlertPreviews
{
    /// <summary>A made-up subscriber whose links show where a real one's would go.</summary>
    public static Personalisation SamplePerson(string email) =>
        new("Sample Subscriber", email, "https://example.org/unsubscribe/sample", "https://example.org/preferences/sample");
}

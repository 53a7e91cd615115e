using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Alerts;

/// <summary>The model of templates/ApprovalRequest.cshtml: an alert waits for a second person.</summary>
public sealed class ApprovalRequestEmail : EmailModel
{
    public required string AlertSubject { get; init; }
    public required int Recipients { get; init; }
    public required string Audience { get; init; }
    public required string Lists { get; init; }
    public required string RequestedBy { get; init; }
    public required string ApprovalUrl { get; init; }

    public override bool IsBulk => false;
}

/// <summary>Emails every other organiser and admin who may approve an alert — active users granted one of its lists
/// (admins: all), not the one who asked — with its subject, how many it reaches, and the link to the approval page.
/// On the urgent lane: an alert that waits, waits for this email.</summary>
public sealed class ApprovalRequests(
    DispatcherDb db, AlertContent content, EmailRenderer renderer, PublicUrls urls, UrgentMessages urgent, TimeProvider clock,
    ILogger<ApprovalRequests> logger)
{
    public async Task TellAsync(long alertId, CancellationToken cancellationToken)
    {
        // Taken before telling, by one conditional update: of a request published twice (a re-drive, a publish the broker
        // took after all) one message tells. Given back if telling fails, so a retry tells.
        var now = clock.GetUtcNow().UtcDateTime;
        if (await db.Alerts.Where(a => a.Id == alertId && a.Status == AlertStatus.PendingApproval && a.ApproversToldAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.ApproversToldAt, now), cancellationToken) == 0)
            return; // approved, gone or told meanwhile
        try
        {
            await TellApproversAsync(alertId, cancellationToken);
        }
        catch
        {
            await db.Alerts.Where(a => a.Id == alertId && a.ApproversToldAt == now)
                .ExecuteUpdateAsync(s => s.SetProperty(a => a.ApproversToldAt, (DateTime?)null), CancellationToken.None);
            throw;
        }
    }

    private async Task TellApproversAsync(long alertId, CancellationToken cancellationToken)
    {
        var alert = await db.Alerts.AsNoTracking().Include(a => a.Lists).SingleAsync(a => a.Id == alertId, cancellationToken);
        var lists = await content.ListsOfAsync(alert, cancellationToken);
        var slugs = lists.Select(l => l.Slug).ToList();
        var users = await db.Users.AsNoTracking().Where(u => u.DisabledAt == null && (u.Role == Role.Admin || u.Role == Role.Organiser)).ToListAsync(cancellationToken);
        var approvers = users.Where(u => $"user:{u.Id}" != alert.RequestedBy && (u.Role == Role.Admin || u.Lists.Any(slugs.Contains))).ToList();
        if (approvers.Count == 0)
        {
            logger.LogWarning("Alert {AlertId} waits for approval, and nobody else may approve it: add an organiser of its lists", alertId);
            return;
        }
        var requestedBy = await db.NameAsync(alert.RequestedBy, cancellationToken) ?? alert.RequestedBy ?? "someone";
        var recipients = await AlertRecipients.CountAsync(db, alert, cancellationToken);
        var subject = $"Waiting for your approval: {alert.Subject}";
        var email = await renderer.CompileAsync("ApprovalRequest", subject, recipient => new ApprovalRequestEmail
        {
            Recipient = recipient,
            PublicBaseUrl = urls.Base,
            Preheader = $"{requestedBy} asks to send it to {recipients:N0} people.",
            AlertSubject = alert.Subject,
            Recipients = recipients,
            Audience = alert.Audience.ToString(),
            Lists = string.Join(", ", lists.Select(l => l.Name)),
            RequestedBy = requestedBy,
            ApprovalUrl = $"{urls.Base}/admin/alerts/{alert.Id}",
        });
        foreach (var approver in approvers)
        {
            await urgent.SendAsync(new OutgoingMessage
            {
                Subject = email.Subject,
                Body = email.For(new Personalisation(approver.Name, approver.Email, "", "")),
                ToAddress = approver.Email,
                ToName = approver.Name,
                MessageId = $"approval.{alert.Id}.{approver.Id}@{urgent.Domain}", // the same on a retry: clients show it once
                Bulk = false,
            }, $"Approval request for alert {alert.Id}");
        }
        logger.LogInformation("Alert {AlertId} waits for approval: {Count} other organisers and admins told", alertId, approvers.Count);
    }
}

using Dispatcher.Data;
using Dispatcher.Dispatching;
using Dispatcher.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Dispatcher.Subscribers;

/// <summary>Confirmation emails: "please confirm" to someone still unconfirmed, "you are already subscribed" to
/// someone who signed up again. Not bulk mail: no list headers, no Precedence.</summary>
public sealed class ConfirmationContent(
    DispatcherDb db,
    EmailRenderer renderer,
    RecipientLinks links,
    PublicUrls urls,
    TimeProvider clock,
    IOptions<SubscribersOptions> options) : IDispatchContent
{
    public DispatchKind Kind => DispatchKind.Confirmation;

    /// <summary>A dispatch without deliveries: no lists, nothing rendered.</summary>
    public Task WarmUpAsync(CancellationToken cancellationToken) => PrepareAsync(new Dispatch { Kind = Kind }, cancellationToken);

    public async Task<IPreparedContent> PrepareAsync(Dispatch dispatch, CancellationToken cancellationToken)
    {
        var lists = await Confirmations.ListsOfAsync(db, dispatch.Id, cancellationToken);
        var days = (int)Math.Round(options.Value.ConfirmationExpiry.TotalDays);

        var perList = new Dictionary<int, (CompiledEmail Confirm, CompiledEmail Known)>();
        foreach (var list in lists)
        {
            EmailModel Model(EmailRecipient recipient) => new ConfirmationEmail
            {
                Recipient = recipient,
                PublicBaseUrl = urls.Base,
                ListName = list.Name,
                ListDescription = list.Description ?? "",
                ExpiresInDays = days,
                Preheader = $"Confirm that you want {list.Name}",
            };
            perList[list.Id] = (
                await renderer.CompileAsync("Confirmation", $"Confirm your subscription to {list.Name}", Model),
                await renderer.CompileAsync("AlreadySubscribed", $"You are already subscribed to {list.Name}", Model));
        }
        return new Prepared(dispatch.Id, perList, links, () => clock.GetUtcNow() + options.Value.ConfirmationExpiry);
    }

    private sealed class Prepared(long dispatchId, Dictionary<int, (CompiledEmail Confirm, CompiledEmail Known)> perList,
        RecipientLinks links, Func<DateTimeOffset> expiry) : PerListContent
    {
        public override bool StillWanted(DeliveryRecipient recipient) =>
            recipient.Status is SubscriptionStatus.Unconfirmed or SubscriptionStatus.Confirmed && perList.ContainsKey(recipient.ListId);

        protected override OutgoingMessage MessageFor(DeliveryRecipient recipient)
        {
            var (confirm, known) = perList[recipient.ListId];
            return links.Confirmation(dispatchId, recipient, recipient.Status == SubscriptionStatus.Confirmed ? known : confirm, expiry());
        }
    }
}

using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Dispatcher.Public;

/// <summary>The double opt-in link. A valid, unexpired link confirms the subscription (and lifts a suppression: this is
/// the person's own confirmed sign-up); anything else gets the same 400 page that says nothing about anyone.</summary>
public sealed class ConfirmModel(SubscriptionService subscriptions, SubscriberTokens tokens, PublicUrls urls) : PageModel
{
    public bool Invalid { get; private set; }
    public string ListName { get; private set; } = "";
    public string MaskedEmail { get; private set; } = "";
    public string PreferencesUrl { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        var subscription = tokens.TryRead(token, TokenPurpose.Confirm, out var read)
            ? await subscriptions.ConfirmAsync(read.Value, cancellationToken)
            : null;
        if (subscription is null)
        {
            Invalid = true;
            var page = Page();
            page.StatusCode = StatusCodes.Status400BadRequest;
            return page;
        }
        ListName = subscription.List!.Name;
        MaskedEmail = UnsubscribeModel.Mask(subscription.Subscriber!.Email);
        PreferencesUrl = urls.Preferences(tokens.Create(TokenPurpose.Preferences, subscription.SubscriberId));
        return Page();
    }
}

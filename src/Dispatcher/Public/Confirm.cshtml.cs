using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Dispatcher.Public;

/// <summary>The double opt-in link opens a page with a button; only the button's POST confirms (and lifts a
/// suppression: this is the person's own confirmed sign-up). Mail scanners and link previews fetch every link in a
/// message, so a GET that confirmed would sign up whoever a stranger typed in. A bad link gets the same 400 page that
/// says nothing about anyone.</summary>
public sealed class ConfirmModel(SubscriptionService subscriptions, SubscriberTokens tokens, PublicUrls urls) : PublicPage
{
    public bool Invalid { get; private set; }
    public bool Confirmed { get; private set; }
    public string ListName { get; private set; } = "";
    public string MaskedEmail { get; private set; } = "";
    public string PreferencesUrl { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        var subscription = tokens.TryRead(token, TokenPurpose.Confirm, out var read)
            ? await subscriptions.FindAsync(read.Value.SubscriberId, read.Value.ListId, cancellationToken)
            : null;
        if (subscription is null) return BadLink();
        Show(subscription, confirmed: subscription.Status == SubscriptionStatus.Confirmed);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken cancellationToken)
    {
        var subscription = tokens.TryRead(token, TokenPurpose.Confirm, out var read)
            ? await subscriptions.ConfirmAsync(read.Value, cancellationToken)
            : null;
        if (subscription is null) return BadLink();
        Show(subscription, confirmed: true);
        return Page();
    }

    private void Show(Subscription subscription, bool confirmed)
    {
        Confirmed = confirmed;
        ShowIn(subscription.Subscriber!.Language);
        ListName = subscription.List!.Name;
        MaskedEmail = UnsubscribeModel.Mask(subscription.Subscriber!.Email);
        PreferencesUrl = urls.Preferences(tokens.Create(TokenPurpose.Preferences, subscription.SubscriberId));
    }

    private PageResult BadLink()
    {
        Invalid = true;
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }
}

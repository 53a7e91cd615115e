using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Dispatcher.Public;

/// <summary>GET shows a button (mail scanners follow links, so a GET never unsubscribes); POST unsubscribes. The POST is
/// also the RFC 8058 one-click target: mailbox providers send "List-Unsubscribe=One-Click" with no cookie and no
/// antiforgery token — the signed token in the URL is the credential — and expect 200.</summary>
[IgnoreAntiforgeryToken]
public sealed class UnsubscribeModel(SubscriptionService subscriptions, SubscriberTokens tokens, PublicUrls urls) : PageModel
{
    public bool Invalid { get; private set; }
    public bool Done { get; private set; }
    public string ListName { get; private set; } = "";
    public string MaskedEmail { get; private set; } = "";
    public string PreferencesUrl { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        var subscription = await FindAsync(token, cancellationToken);
        if (subscription is null) return BadLink();
        Done = subscription.Status == SubscriptionStatus.Unsubscribed;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken cancellationToken)
    {
        var subscription = await FindAsync(token, cancellationToken);
        if (subscription is null) return BadLink();

        var oneClick = Request.HasFormContentType && Request.Form["List-Unsubscribe"] == "One-Click";
        await subscriptions.UnsubscribeAsync(subscription, oneClick ? "one-click" : "unsubscribe page", cancellationToken);
        Done = true;
        return Page();
    }

    private async Task<Subscription?> FindAsync(string token, CancellationToken cancellationToken)
    {
        if (!tokens.TryRead(token, TokenPurpose.Unsubscribe, out var read)) return null;
        var subscription = await subscriptions.FindAsync(read.Value.SubscriberId, read.Value.ListId, cancellationToken);
        if (subscription is null) return null; // erased, or the list was deleted: say nothing about it
        ListName = subscription.List!.Name;
        MaskedEmail = Mask(subscription.Subscriber!.Email);
        PreferencesUrl = urls.Preferences(tokens.Create(TokenPurpose.Preferences, subscription.SubscriberId));
        return subscription;
    }

    private PageResult BadLink()
    {
        Invalid = true;
        var page = Page();
        page.StatusCode = StatusCodes.Status400BadRequest;
        return page;
    }

    /// <summary>"a•••@example.org": enough for the owner to recognise, little for someone who found a forwarded link.</summary>
    internal static string Mask(string email)
    {
        var at = email.LastIndexOf('@');
        return at <= 1 ? email : $"{email[0]}•••{email[at..]}";
    }
}

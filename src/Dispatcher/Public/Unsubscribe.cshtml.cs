using Dispatcher.Mail;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Dispatcher.Public;

/// <summary>GET shows a button (mail scanners follow links, so a GET never unsubscribes); POST unsubscribes. The POST is
/// also the RFC 8058 one-click target: mailbox providers send "List-Unsubscribe=One-Click" with no cookie and no
/// antiforgery token — the signed token in the URL is the credential — and expect 200. A digest's link leaves every
/// list the digest is made of.</summary>
[IgnoreAntiforgeryToken]
public sealed class UnsubscribeModel(SubscriptionService subscriptions, SubscriberTokens tokens, PublicUrls urls) : PublicPage
{
    public bool Invalid { get; private set; }
    public bool Done { get; private set; }
    public string ListName { get; private set; } = "";
    public string MaskedEmail { get; private set; } = "";
    public string PreferencesUrl { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string token, CancellationToken cancellationToken)
    {
        var found = await FindAsync(token, cancellationToken);
        if (found is null) return BadLink();
        Done = found.All(s => s.Status is not (SubscriptionStatus.Confirmed or SubscriptionStatus.Unconfirmed));
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string token, CancellationToken cancellationToken)
    {
        var found = await FindAsync(token, cancellationToken);
        if (found is null) return BadLink();

        var oneClick = Request.HasFormContentType && Request.Form["List-Unsubscribe"] == "One-Click";
        foreach (var subscription in found)
            await subscriptions.UnsubscribeAsync(subscription, oneClick ? "one-click" : "unsubscribe page", cancellationToken);
        Done = true;
        return Page();
    }

    /// <summary>The subscription the link is for — or, for a digest, every subscription of that cadence.</summary>
    private async Task<List<Subscription>?> FindAsync(string token, CancellationToken cancellationToken)
    {
        if (!tokens.TryRead(token, TokenPurpose.Unsubscribe, out var read)) return null;
        var found = await subscriptions.ForUnsubscribeAsync(read.Value, cancellationToken);
        if (found.Count > 0) ShowIn(found[0].Subscriber!.Language);
        ListName = read.Value.DigestCadence is { } cadence
            ? T(cadence == Cadence.Weekly ? "the weekly digest" : "the daily digest") + (found.Count > 0 ? $" ({string.Join(", ", found.Select(s => s.List!.Name))})" : "")
            : found.FirstOrDefault()?.List!.Name ?? "";
        if (found.Count == 0) return null; // erased, or the list was deleted: say nothing about it
        MaskedEmail = Mask(found[0].Subscriber!.Email);
        PreferencesUrl = urls.Preferences(tokens.Create(TokenPurpose.Preferences, read.Value.SubscriberId));
        return found;
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

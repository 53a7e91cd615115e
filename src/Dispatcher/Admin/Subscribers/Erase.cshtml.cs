using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Subscribers;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Admin.Subscribers;

/// <summary>Erasure, with a confirmation step (a page, so it works without JavaScript).</summary>
[Authorize(Policy = Policies.Admin)]
public sealed class EraseModel(DispatcherDb db, SubscriberEraser eraser) : AdminPage
{
    public Subscriber? Person { get; private set; }
    public int Subscriptions { get; private set; }
    [BindProperty(SupportsGet = true)] public string? List { get; set; }

    public async Task OnGetAsync(string? email, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryNormalise(email, out var normalised, out _)) return;
        Person = await db.Subscribers.AsNoTracking().SingleOrDefaultAsync(s => s.Email == normalised, cancellationToken);
        if (Person is not null) Subscriptions = await db.Subscriptions.CountAsync(s => s.SubscriberId == Person.Id, cancellationToken);
    }

    public async Task<IActionResult> OnPostAsync(string? email, bool sure, CancellationToken cancellationToken)
    {
        if (!sure || !EmailAddress.TryNormalise(email, out var normalised, out _)) return Failed("Tick the box to confirm.", new { email, list = List });
        var erased = await eraser.EraseAsync(normalised, Caller, cancellationToken);
        Flash = erased ? $"{normalised} is erased." : "There was nobody with that address.";
        return Redirect(List is null ? "/admin/lists" : $"/admin/lists/{Uri.EscapeDataString(List)}");
    }
}

using Dispatcher.Access;
using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Subscribers;

public static class SubscriberEndpoints
{
    public static RouteGroupBuilder MapSubscribers(this RouteGroupBuilder api)
    {
        var lists = api.MapGroup("/lists/{slug}").WithTags("Subscribers").RequireAuthorization(Policies.Admin);
        lists.MapPost("/subscribers", Add);
        return api;
    }

    private static async Task<Results<Created<SubscriptionResponse>, Ok<SubscriptionResponse>, ValidationProblem, ProblemHttpResult>> Add(
        string slug, AddSubscriberRequest request, DispatcherDb db, SubscriptionService subscriptions, HttpContext http,
        CancellationToken cancellationToken)
    {
        var errors = request.Validate(out var email, out var cadence);
        if (errors.Any) return errors.ToProblem();
        var list = await db.Lists.AsNoTracking().SingleOrDefaultAsync(l => l.Slug == slug, cancellationToken);
        if (list is null) return ApiProblem.NotFound($"There is no list '{slug}'.");

        var (outcome, subscriber, subscription) = await subscriptions.AddAsync(
            list, email!, request.Name, cadence, request.Alerts, request.Confirmed ?? false, Caller.From(http.User), cancellationToken);
        var response = SubscriptionResponse.From(subscriber, subscription, slug);
        return outcome switch
        {
            AddOutcome.Created => TypedResults.Created($"/api/subscribers/{Uri.EscapeDataString(subscriber.Email)}", response),
            AddOutcome.Updated => TypedResults.Ok(response),
            _ => ApiProblem.Conflict($"This address is marked {subscription.Status.ToString().ToLowerInvariant()} and is never mailed again."),
        };
    }
}

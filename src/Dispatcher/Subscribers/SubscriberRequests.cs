using Dispatcher.Hosting;

namespace Dispatcher.Subscribers;

public sealed record AddSubscriberRequest(string? Email, string? Name, string? Cadence, bool? Alerts, bool? Confirmed)
{
    public ValidationErrors Validate(out string? email, out Cadence? cadence)
    {
        var errors = new ValidationErrors();
        if (!EmailAddress.TryNormalise(Email, out email, out var emailError)) errors.Add("email", emailError);
        errors.Text("name", Name, 200);
        cadence = null;
        if (Cadence is not null)
        {
            if (CadenceNames.TryParse(Cadence, out var parsed)) cadence = parsed;
            else errors.Add("cadence", "'cadence' must be \"immediate\", \"daily\" or \"weekly\".");
        }
        return errors;
    }
}

public static class CadenceNames
{
    public static bool TryParse(string? text, out Cadence cadence)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "immediate": cadence = Cadence.Immediate; return true;
            case "daily": cadence = Cadence.Daily; return true;
            case "weekly": cadence = Cadence.Weekly; return true;
            default: cadence = default; return false;
        }
    }

    public static string Of(Cadence cadence) => cadence.ToString().ToLowerInvariant();
}

public sealed record SubscriptionResponse(string Email, string? Name, string List, string Status, string Cadence, bool Alerts)
{
    public static SubscriptionResponse From(Subscriber subscriber, Subscription subscription, string listSlug) =>
        new(subscriber.Email, subscriber.Name, listSlug, subscription.Status.ToString().ToLowerInvariant(),
            CadenceNames.Of(subscription.Cadence), subscription.Alerts);
}

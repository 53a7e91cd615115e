using Dispatcher.Access;
using Dispatcher.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dispatcher.Mail.Capture;

public sealed record CapturedMessageSummary(long Id, string From, IReadOnlyList<string> To, string Subject, DateTime ReceivedAt);

public static class MailboxEndpoints
{
    public static RouteGroupBuilder MapMailbox(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/mailbox").WithTags("Capture mailbox").RequireAuthorization(Policies.Admin);
        group.MapGet("/", List);
        group.MapGet("/{id:long}", Raw).Produces<string>(StatusCodes.Status200OK, "message/rfc822").ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static Results<Ok<Page<CapturedMessageSummary>>, ValidationProblem, ProblemHttpResult> List(
        CapturedMessages messages, IServiceProvider services, int? limit)
    {
        if (services.GetService<CaptureMailbox>() is null) return Off();
        var errors = new ValidationErrors();
        if (limit is < 1 or > PageRequest.MaxLimit) errors.Add("limit", $"'limit' must be between 1 and {PageRequest.MaxLimit}.");
        if (errors.Any) return errors.ToProblem();
        var items = messages.Newest(limit ?? PageRequest.DefaultLimit)
            .Select(m => new CapturedMessageSummary(m.Id, m.From, m.To, m.Subject, m.ReceivedAt)).ToList();
        return TypedResults.Ok(new Page<CapturedMessageSummary>(items, null));
    }

    private static Results<FileContentHttpResult, ProblemHttpResult> Raw(long id, CapturedMessages messages, IServiceProvider services)
    {
        if (services.GetService<CaptureMailbox>() is null) return Off();
        return messages.Find(id) is { } message
            ? TypedResults.File(message.Raw, "message/rfc822", $"message-{id}.eml")
            : ApiProblem.NotFound($"There is no captured message {id} (the mailbox keeps the newest only).");
    }

    private static ProblemHttpResult Off() =>
        ApiProblem.NotFound("The capture mailbox is off: mail goes to the relay set in Smtp:Host.");
}

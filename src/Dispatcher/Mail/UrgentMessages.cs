namespace Dispatcher.Mail;

/// <summary>One message to one person on the urgent lane, outside any dispatch (a test copy, an approval request): built,
/// sent, and — when the relay could not be reached — a <see cref="RelayUnavailableException"/>, so the bus message that
/// asked for it is tried again.</summary>
public sealed class UrgentMessages(MessageFactory messages, RelayConnections connections, ReturnPaths returnPaths)
{
    public string Domain => messages.From.Domain;

    /// <param name="what">What it is, for the exception ("test copy of alert 7").</param>
    public async Task<SendOutcome> SendAsync(OutgoingMessage outgoing, string what)
    {
        using var message = messages.Create(outgoing);
        var outcome = await connections.SendAsync(new SingleMailJob(Lane.Urgent, returnPaths.BounceAddress, outgoing.ToAddress, message));
        if (outcome.Result == SendResult.Retry) throw new RelayUnavailableException($"{what} deferred: {outcome.Response}");
        return outcome;
    }
}

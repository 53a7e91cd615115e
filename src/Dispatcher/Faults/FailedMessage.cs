namespace Dispatcher.Faults;

/// <summary>A bus message that kept failing after its retries and went to its queue's error queue
/// (&lt;queue&gt;_error on RabbitMQ): what it was, what it said, and why it failed — for people to see and act on.</summary>
public sealed class FailedMessage
{
    public long Id { get; set; }
    public required string MessageType { get; set; }
    public required string Payload { get; set; }
    public required string Error { get; set; }
    public DateTime FaultedAt { get; set; }
}

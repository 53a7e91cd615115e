namespace Dispatcher.Digests;

/// <summary>One scheduled digest run. The unique (cadence, period) key makes a schedule fire once per period however
/// many workers watch the clock: the first to insert the row runs it, the others see the conflict and do nothing.</summary>
public sealed class DigestRun
{
    public long Id { get; set; }
    public Subscribers.Cadence Cadence { get; set; }

    /// <summary>The scheduled occurrence, in UTC.</summary>
    public DateTime Period { get; set; }

    public long? DispatchId { get; set; }
    public DateTime CreatedAt { get; set; }
}

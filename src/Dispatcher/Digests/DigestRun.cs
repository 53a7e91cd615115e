namespace Dispatcher.Digests;

/// <summary>One scheduled digest run: for everyone (a cron schedule), or for the readers of one time zone at their
/// local time. The unique (cadence, zone, period) key makes a schedule fire once per period however many workers watch
/// the clock: the first to insert the row runs it, the others see the conflict and do nothing.</summary>
public sealed class DigestRun
{
    public long Id { get; set; }
    public Subscribers.Cadence Cadence { get; set; }

    /// <summary>The scheduled occurrence, in UTC.</summary>
    public DateTime Period { get; set; }

    /// <summary>The readers' zone (IANA) of a local-time run; "" for a run for everyone.</summary>
    public string TimeZone { get; set; } = "";

    /// <summary>The readers' local date of a local-time run: each reader gets one digest per date (see
    /// Subscriber.DailyDigestOn), whatever the clocks or their zone did.</summary>
    public DateOnly? LocalDate { get; set; }

    public long? DispatchId { get; set; }
    public DateTime CreatedAt { get; set; }
}

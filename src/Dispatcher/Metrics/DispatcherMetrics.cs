using Prometheus;

namespace Dispatcher.Metrics;

/// <summary>What this process counts, in Prometheus form at GET /metrics (prometheus-net). Counters and the SMTP
/// latency are per process — scrape every worker; the dispatch and queue gauges come from the database, the same in
/// every process. A registry of its own per host (not prometheus-net's static default), so hosts side by side in one
/// process — the tests — count separately.</summary>
public sealed class DispatcherMetrics
{
    public DispatcherMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var create = Prometheus.Metrics.WithCustomRegistry(Registry);
        DotNetStats.Register(Registry);

        MessagesSent = create.CreateCounter(
            "dispatcher_messages_sent_total", "Messages the relay accepted, per lane.", "lane");

        MessagesNotSent = create.CreateCounter(
            "dispatcher_messages_not_sent_total", "Attempts the relay did not accept, per lane and outcome (retry, failed, bounced).", "lane", "outcome");

        SmtpSendSeconds = create.CreateHistogram(
            "dispatcher_smtp_send_seconds", "Time from a message's bytes leaving to the relay's answer to it.",
            new HistogramConfiguration
            {
                LabelNames = ["relay"],
                Buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
            });

        SmtpConnections = create.CreateGauge(
            "dispatcher_smtp_connections", "Open SMTP connections, per relay.", "relay");

        SmtpConnectionLimit = create.CreateGauge(
            "dispatcher_smtp_connection_limit", "How many connections each relay gets now (grows while that helps, shrinks when it says it is too busy).", "relay");

        SmtpRoundTrips = create.CreateCounter(
            "dispatcher_smtp_round_trips_total", "Times a connection sent what it held and waited for replies, per relay: about one per message when pipelining works.", "relay");

        QueueDepth = create.CreateGauge(
            "dispatcher_queue_depth", "Deliveries waiting to be sent in dispatches that are sending, per lane.", "lane");

        DispatchDeliveries = create.CreateGauge(
            "dispatcher_dispatch_deliveries", "Deliveries of each dispatch in flight, per status.", "dispatch", "kind", "status");

        DispatchRate = create.CreateGauge(
            "dispatcher_dispatch_messages_per_second", "Deliveries finished per second since each dispatch in flight started.", "dispatch", "kind");

        DeliveriesReclaimed = create.CreateCounter(
            "dispatcher_deliveries_reclaimed_total", "Claimed deliveries given to another worker: held by a worker declared dead (dead_worker), or whose lease ran out (lease_expired).", "reason");

        WorkerReclaimSeconds = create.CreateHistogram(
            "dispatcher_worker_reclaim_seconds", "Seconds from a dead worker's last heartbeat to a live worker taking what it held.",
            new HistogramConfiguration { Buckets = [1, 2, 3, 4, 5, 7.5, 10, 15, 30, 60, 120] });

        ClockOffsetSeconds = create.CreateGauge(
            "dispatcher_clock_offset_seconds", "This worker's clock minus the database server's (0 on SQLite), at its last heartbeat. Leases are timed by the workers' clocks: keep it within seconds (NTP).");

        BounceMailboxMessages = create.CreateCounter(
            "dispatcher_bounce_mailbox_messages_total", "Messages read from the bounce mailbox, per outcome.", "outcome");
    }

    public CollectorRegistry Registry { get; }
    public Counter MessagesSent { get; }
    public Counter MessagesNotSent { get; }
    public Histogram SmtpSendSeconds { get; }
    public Gauge SmtpConnections { get; }
    public Gauge SmtpConnectionLimit { get; }
    public Counter SmtpRoundTrips { get; }
    public Gauge QueueDepth { get; }
    public Gauge DispatchDeliveries { get; }
    public Gauge DispatchRate { get; }
    public Counter BounceMailboxMessages { get; }
    public Counter DeliveriesReclaimed { get; }
    public Histogram WorkerReclaimSeconds { get; }
    public Gauge ClockOffsetSeconds { get; }
}

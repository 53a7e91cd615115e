using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Dispatcher.Mail.Smtp;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Dispatcher.Mail;

/// <summary>This process's SMTP connections to its relays. Mail is submitted as jobs to a queue per lane; every open
/// connection takes the next job as soon as it is free — urgent ones first — so a big send keeps all of them busy, and
/// an alert gets every connection as each finishes its current message (docs/adr/0010).</summary>
/// <remarks><para>Smtp:AlertConnections of them are the alert lane's own: opened at start and kept open (a NOOP when
/// idle), so an alert does not wait for connect, TLS, EHLO and AUTH; they take urgent mail only. The others, up to
/// Smtp:MaxConnections in all, are opened as mail waits and closed after Smtp:IdleSeconds without any.</para>
/// <para>A new connection goes to the relay with the least open for its weight that has room under its
/// <see cref="ConnectionLimit"/> and whose circuit is closed. Each connection is an asynchronous loop, not a thread, so
/// hundreds cost little.</para></remarks>
public sealed class RelayConnections : IAsyncDisposable
{
    /// <summary>The types a message goes through from a batch to the relay, for <see cref="Hosting.JitWarmUp"/>.</summary>
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    /// <summary>Relays count NOOPs as junk (Postfix starts penalising after 100): a kept connection is replaced after this many.</summary>
    private const int NoopsPerConnection = 20;

    private readonly SmtpOptions _options;
    private readonly RelaySet _relays;
    private readonly string _localDomain;
    private readonly Metrics.DispatcherMetrics _metrics;
    private readonly ILogger<RelayConnections> _logger;
    private readonly TimeProvider _clock;
    private readonly MailQueue _queue = new();
    private readonly RateLimiter? _rate;
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<Task, bool> _running = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;
    private int _shared, _reserved, _live, _opening, _reservedLive;
    private readonly TaskCompletionSource _alertLaneOpen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _keepWarm;

    public RelayConnections(IOptions<SmtpOptions> options, IOptions<MailOptions> mail, RelaySet relays, Metrics.DispatcherMetrics metrics,
        ILogger<RelayConnections> logger, TimeProvider clock)
    {
        _options = options.Value;
        _relays = relays;
        _localDomain = mail.Value.Domain;
        _metrics = metrics;
        _logger = logger;
        _clock = clock;
        if (_options.MessagesPerSecond is { } perSecond) _rate = RateLimits.PerSecond(perSecond);
        _timer = clock.CreateTimer(_ => OnTick(), null, Tick, Tick);
    }

    /// <summary>Queues mail for the connections of its lane. Each job is completed with the relay's answer.</summary>
    public void Submit(IEnumerable<MailJob> jobs)
    {
        foreach (var job in jobs) _queue.Add(job);
        Pump();
    }

    /// <summary>Sends one message on the urgent or bulk lane and returns the relay's answer.</summary>
    public Task<SendOutcome> SendAsync(SingleMailJob job)
    {
        Submit([job]);
        return job.Outcome;
    }

    /// <summary>Opens the alert lane's own connections now and keeps them open.</summary>
    public void KeepAlertConnectionsOpen()
    {
        _keepWarm = true;
        Pump();
    }

    /// <summary>Connections open and ready now (for tests and the start-up check).</summary>
    public int Live => Volatile.Read(ref _live);

    /// <summary>Completes once all the alert lane's own connections have been open at the same time.</summary>
    public Task AlertLaneOpen => _alertLaneOpen.Task;

    /// <summary>Connects to this relay and says goodbye, whatever its circuit says (the health check asks every relay).</summary>
    public async Task ProbeAsync(Relay relay, CancellationToken cancellationToken)
    {
        relay.Opened(shared: false);
        try
        {
            await using var session = await SmtpSession.OpenAsync(relay, _localDomain, Timeout, _options.PipelineData, cancellationToken);
        }
        finally
        {
            relay.Closed(shared: false);
        }
    }

    private TimeSpan Timeout => TimeSpan.FromSeconds(_options.TimeoutSeconds);

    /// <summary>Opens connections while mail waits and the caps and relays allow; fails the waiting mail when nobody can
    /// send it (every relay failing, nothing open).</summary>
    private void Pump()
    {
        List<MailJob>? unsendable = null;
        string? why = null;
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested) return;
            var urgentWaiting = _queue.CountOf(Lane.Urgent);
            while (_reserved < _options.AlertConnections && (_keepWarm || urgentWaiting > 0) && _relays.WithRoom(shared: false) is { } relay)
                Start(relay, reserved: true);
            var wanted = _queue.Count - _opening;
            while (wanted > 0 && _shared < _options.BulkConnections && _relays.WithRoom(shared: true) is { } relay)
            {
                Start(relay, reserved: false);
                wanted--;
            }
            if (_live == 0 && _opening == 0 && _queue.Count > 0 && _relays.All.All(r => r.IsBroken))
            {
                unsendable = _queue.TakeAll();
                why = string.Join("; ", _relays.All.Select(r => r.LastProblem ?? $"{r}: failed repeatedly, left alone for up to {_options.CircuitBreakSeconds} s"));
            }
        }
        foreach (var job in unsendable ?? [])
            Done(job, SendOutcome.Unavailable(why!), TimeSpan.Zero, relay: null);
    }

    private void Start(Relay relay, bool reserved)
    {
        relay.Opened(shared: !reserved);
        relay.OpeningStarted();
        if (reserved) _reserved++;
        else _shared++;
        _opening++;
        var running = Task.Run(() => RunAsync(relay, reserved));
        _running.TryAdd(running, true);
        running.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task RunAsync(Relay relay, bool reserved)
    {
        SmtpSession? session = null;
        var counted = true; // in relay's open count (TryLeaveOverLimit takes it out early)
        var live = false;
        try
        {
            try
            {
                session = await relay.Breaker.ExecuteAsync(
                    async token => await SmtpSession.OpenAsync(relay, _localDomain, Timeout, _options.PipelineData, token), _stopping.Token);
            }
            finally
            {
                relay.OpeningEnded();
            }
            relay.LastProblem = null;
            lock (_lock)
            {
                _opening--;
                _live++;
                if (reserved && ++_reservedLive >= _options.AlertConnections) _alertLaneOpen.TrySetResult();
            }
            live = true;
            var source = new Connection(this, relay, reserved);
            var noops = 0;
            while (true)
            {
                await session.SendAsync(source);
                if (source.LeftOverLimit) counted = false;
                if (source.Closing || !reserved) return;
                // The alert lane's own connection, idle: keep it open for the next alert.
                if (++noops > NoopsPerConnection || !await session.NoopAsync()) return;
            }
        }
        catch (RelayUnavailableException e)
        {
            relay.LastProblem = e.Message;
            if (e.InnerException is RelayBusyException)
            {
                // Those open and sending are what it takes; this one and any others still opening are not.
                relay.Limit.Refused(_clock.GetElapsedTime(0), Math.Max(0, relay.SharedConnections - relay.Opening - (reserved ? 0 : 1)));
                _logger.LogInformation("{Relay} refused a connection as too busy; now up to {Limit} connections to it", relay, relay.Limit.Value);
                return;
            }
            _logger.LogWarning("{Problem}", e.Message);
        }
        catch (BrokenCircuitException)
        {
            relay.LastProblem ??= $"{relay}: failed repeatedly, left alone for up to {_options.CircuitBreakSeconds} s";
        }
        catch (RelayBusyException e)
        {
            relay.Limit.BackOff(_clock.GetElapsedTime(0), relay.SharedConnections);
            _logger.LogInformation("{Relay} is too busy for more connections ({Reply}); now up to {Limit}", relay, e.Message, relay.Limit.Value);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or TimeoutException or ObjectDisposedException
                                      or System.Security.Authentication.AuthenticationException)
        {
            _logger.LogWarning("SMTP connection to {Relay} failed: {Message}", relay, e.Message);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "SMTP connection to {Relay} ended by a bug", relay);
        }
        finally
        {
            if (session is not null) await session.DisposeAsync();
            if (counted) relay.Closed(shared: !reserved);
            lock (_lock)
            {
                if (reserved) _reserved--;
                else _shared--;
                if (live) _live--;
                else _opening--;
                if (live && reserved) _reservedLive--;
            }
            Pump();
        }
    }

    private void OnTick()
    {
        var now = _clock.GetElapsedTime(0);
        var waiting = _queue.Count > 0;
        foreach (var relay in _relays.All)
        {
            relay.Limit.Tick(now, saturated: waiting && relay.SharedConnections >= relay.Limit.Value, relay.Opening);
            _metrics.SmtpConnectionLimit.WithLabels(relay.ToString()).Set(relay.Limit.Value);
        }
        // Retries what failed (a relay whose circuit has closed again) and keeps the alert lane's connections open.
        Pump();
    }

    private void Done(MailJob job, SendOutcome outcome, TimeSpan took, Relay? relay)
    {
        if (relay is not null)
        {
            relay.Limit.Answered();
            if (took > TimeSpan.Zero) _metrics.SmtpSendSeconds.WithLabels(relay.ToString()).Observe(took.TotalSeconds);
        }
        var lane = job.Lane == Lane.Urgent ? "urgent" : "bulk";
        if (outcome.Result == SendResult.Accepted) _metrics.MessagesSent.WithLabels(lane).Inc();
        else _metrics.MessagesNotSent.WithLabels(lane, outcome.Result.ToString().ToLowerInvariant()).Inc();
        job.Complete(outcome);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _queue.Stop();
        await _timer.DisposeAsync();
        try
        {
            await Task.WhenAll(_running.Keys).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Connections still waiting for a relay's answer: closed with the process.
        }
        _rate?.Dispose();
    }

    /// <summary>One connection's view of the queue: what it may take, how long it waits, and when it should close.</summary>
    private sealed class Connection(RelayConnections pool, Relay relay, bool reserved) : IMailJobSource
    {
        /// <summary>It should close: idle too long, over its relay's limit, or the process is stopping.</summary>
        public bool Closing { get; private set; }

        /// <summary>It already left its relay's open count (over the limit).</summary>
        public bool LeftOverLimit { get; private set; }

        public async ValueTask<MailJob?> NextAsync(bool wait)
        {
            if (pool._stopping.IsCancellationRequested) return Stop();
            if (!reserved && relay.TryLeaveOverLimit())
            {
                LeftOverLimit = true;
                return Stop();
            }
            if (!wait)
            {
                // The next message in the same write as this one's data: only when it can go at once.
                if (pool._rate is not null || relay.Rate is not null) return null;
                return pool._queue.TryTake(urgentOnly: reserved);
            }
            var idle = TimeSpan.FromSeconds(pool._options.IdleSeconds);
            var job = await pool._queue.TakeAsync(urgentOnly: reserved, idle);
            if (job is null)
            {
                if (!reserved || pool._stopping.IsCancellationRequested) Closing = true;
                return null;
            }
            if (pool._rate is not null) await RateLimits.WaitAsync(pool._rate, CancellationToken.None);
            if (relay.Rate is not null) await RateLimits.WaitAsync(relay.Rate, CancellationToken.None);
            return job;
        }

        private MailJob? Stop()
        {
            Closing = true;
            return null;
        }

        public void GiveBack(MailJob job)
        {
            if (job.Returned >= 3)
            {
                pool.Done(job, SendOutcome.Unavailable($"{relay} refused it {job.Returned} times as too busy"), TimeSpan.Zero, relay);
                return;
            }
            job.GiveBack();
            pool._queue.Add(job, first: true);
            pool.Pump();
        }

        public void Done(MailJob job, SendOutcome outcome, TimeSpan took) => pool.Done(job, outcome, took, relay);

        public void RoundTrip() => pool._metrics.SmtpRoundTrips.WithLabels(relay.ToString()).Inc();
    }
}

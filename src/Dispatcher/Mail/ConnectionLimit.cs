namespace Dispatcher.Mail;

/// <summary>How many connections one relay gets from this process: more while more make it faster, fewer when it says
/// it is too busy (docs/adr/0010).</summary>
/// <remarks>While every connection the limit allows is open and mail still waits, the limit doubles: a trial. Once the
/// new connections are open (TLS and all), the rate of answers over the next <see cref="Measure"/> is compared with the
/// rate before: faster by <see cref="Worthwhile"/> and the limit stays, and may double again; not, and it goes back and
/// is left alone for <see cref="Rest"/>. A relay that refuses a new connection as too busy (421 "too many connections")
/// gets as many as were working then; one that refuses a message as too busy (421, 452), three quarters of what was
/// open; either, no growth for <see cref="Rest"/>. No trial starts before
/// there is a rate to compare with. Never above the cap:
/// Smtp:Relays:N:MaxConnections, or Smtp:MaxConnections.</remarks>
public sealed class ConnectionLimit
{
    public static readonly TimeSpan Measure = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan Rest = TimeSpan.FromSeconds(15);
    private const double Worthwhile = 1.15;

    private readonly Lock _lock = new();
    private long _answers;
    private long _answersAtTick;
    private TimeSpan? _lastTick;
    private double _rate; // answers a second over the last two ticks
    private Trial? _trial;
    private TimeSpan _restUntil;
    private TimeSpan _lastBackOff = TimeSpan.MinValue / 2;

    public ConnectionLimit(int cap, int initial)
    {
        Cap = cap;
        Value = Math.Clamp(initial, 1, cap);
    }

    public int Cap { get; }

    public int Value { get; private set; }

    /// <summary>The limit without a trial in progress: what it has shown it takes.</summary>
    public int Settled
    {
        get
        {
            lock (_lock) return _trial?.Limit ?? Value;
        }
    }

    /// <summary>Where a process starts: what the relay took before (<see cref="RelayLimitMemory"/>), within the cap.</summary>
    public void StartAt(int value)
    {
        lock (_lock)
            if (_trial is null) Value = Math.Clamp(value, 1, Cap);
    }

    /// <summary>The relay answered a message (taken or not).</summary>
    public void Answered() => Interlocked.Increment(ref _answers);

    /// <summary>Called every few hundred milliseconds. <paramref name="saturated"/>: every connection the limit allows is
    /// open and mail still waits. <paramref name="opening"/>: connections to the relay still being opened.</summary>
    public void Tick(TimeSpan now, bool saturated, int opening)
    {
        lock (_lock)
        {
            var answers = Interlocked.Read(ref _answers);
            if (_lastTick is { } last && now > last)
            {
                var rate = (answers - _answersAtTick) / (now - last).TotalSeconds;
                _rate = _rate == 0 ? rate : (_rate + rate) / 2;
            }
            (_answersAtTick, _lastTick) = (answers, now);

            if (_trial is { } trial)
            {
                if (opening > 0 || trial.MeasuredFrom is null) trial.MeasureFrom(now, answers); // the new connections are not all sending yet
                else if (now - trial.MeasuredFrom >= Measure)
                {
                    _trial = null;
                    var rate = (answers - trial.AnswersAtStart) / (now - trial.MeasuredFrom.Value).TotalSeconds;
                    if (rate < trial.RateBefore * Worthwhile)
                    {
                        Value = trial.Limit;
                        _restUntil = now + Rest;
                    }
                }
            }
            if (_trial is null && saturated && _rate > 0 && now >= _restUntil && Value < Cap)
            {
                _trial = new Trial(Value, _rate);
                Value = Math.Min(Cap, Value * 2);
            }
        }
    }

    /// <summary>The relay refused a new connection as too busy while <paramref name="working"/> others to it worked:
    /// that many is what it takes now.</summary>
    public void Refused(TimeSpan now, int working)
    {
        lock (_lock)
        {
            Value = Math.Max(1, Math.Min(Value, working));
            _trial = null;
            _restUntil = now + Rest;
        }
    }

    /// <summary>The relay refused a message as too busy while <paramref name="open"/> connections were open to it: a
    /// quarter fewer. Refusals that come together (one per connection) count once.</summary>
    public void BackOff(TimeSpan now, int open)
    {
        lock (_lock)
        {
            if (now < _lastBackOff + TimeSpan.FromSeconds(1)) return;
            _lastBackOff = now;
            Value = Math.Max(1, Math.Min(Value, open) * 3 / 4);
            _trial = null;
            _restUntil = now + Rest;
        }
    }

    /// <summary>The limit doubled from <see cref="Limit"/> when answers came at <see cref="RateBefore"/> a second.</summary>
    private sealed class Trial(int limit, double rateBefore)
    {
        public int Limit { get; } = limit;
        public double RateBefore { get; } = rateBefore;
        public TimeSpan? MeasuredFrom { get; private set; }
        public long AnswersAtStart { get; private set; }

        public void MeasureFrom(TimeSpan now, long answers) => (MeasuredFrom, AnswersAtStart) = (now, answers);
    }
}

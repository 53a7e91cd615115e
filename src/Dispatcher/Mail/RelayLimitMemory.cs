using Dispatcher.Data;
using Dispatcher.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Dispatcher.Mail;

/// <summary>Keeps, in the database, how many connections each relay took (its <see cref="ConnectionLimit"/>), so that a
/// process that starts begins there rather than at 16 and doubling while its first alert waits — a few tenths of a
/// second per doubling at a relay 20 ms away. Recalled before /health says ready; written every
/// <see cref="WriteEvery"/> when it changed, and at shutdown. The processes that send through the same relay share its
/// row: whichever learnt last is right, as it is the same relay.</summary>
public sealed class RelayLimitMemory(RelaySet relays, IServiceScopeFactory scopes, ILogger<RelayLimitMemory> logger)
    : BackgroundService, IWarmUpStep
{
    internal static TimeSpan WriteEvery { get; set; } = TimeSpan.FromSeconds(10);

    private readonly Dictionary<Relay, int> _written = [];
    private readonly Lock _lock = new();

    /// <summary>The settings row of a relay: "relay-limit:smtp.example.org:587".</summary>
    public static string Key(Relay relay) => $"relay-limit:{relay.Host}:{relay.Options.Port}";

    public string Doing => "recalling how many connections each relay took";

    private IEnumerable<Relay> Remembered => relays.All.Where(r => r.CapturePort is null); // the capture mailbox is always there

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var byKey = Remembered.ToDictionary(Key);
        if (byKey.Count == 0) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
        var keys = byKey.Keys.ToList();
        foreach (var row in await db.Settings.AsNoTracking().Where(s => keys.Contains(s.Key)).ToListAsync(cancellationToken))
        {
            if (!int.TryParse(row.Value, out var limit)) continue;
            var relay = byKey[row.Key];
            relay.Limit.StartAt(limit);
            lock (_lock) _written[relay] = limit;
        }
        await UpdateAsync(db, "relay-limit:", "", cancellationToken); // no row has this key: the write compiled before it is due mid-send
    }

    private static Task<int> UpdateAsync(DispatcherDb db, string key, string value, CancellationToken cancellationToken) =>
        db.Settings.Where(s => s.Key == key).ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, value), cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(WriteEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await WriteAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5)); // what it learnt since, unless the database is away
        await WriteAsync(last.Token);
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        List<(Relay Relay, int Limit)> changed;
        lock (_lock)
            changed = Remembered.Select(r => (r, r.Limit.Settled)).Where(c => !_written.TryGetValue(c.r, out var w) || w != c.Settled).ToList();
        if (changed.Count == 0) return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            foreach (var (relay, limit) in changed)
            {
                var key = Key(relay);
                var value = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (await UpdateAsync(db, key, value, cancellationToken) == 0)
                {
                    db.Settings.Add(new Setting { Key = key, Value = value });
                    try
                    {
                        await db.SaveChangesAsync(cancellationToken);
                    }
                    catch (DbUpdateException)
                    {
                        // Another process wrote its row first: the next round updates it.
                    }
                    db.ChangeTracker.Clear();
                }
                lock (_lock) _written[relay] = limit;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Only a slower start next time: said once per round, and tried again at the next.
            logger.LogWarning(e, "Could not keep the relays' connection limits; the next round tries again");
        }
    }
}

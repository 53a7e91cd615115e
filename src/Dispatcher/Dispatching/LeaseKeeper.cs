using Microsoft.Extensions.Options;

namespace Dispatcher.Dispatching;

/// <summary>Keeps a claim's lease from running out while its batch is still being sent. A slow relay, a low
/// Smtp:MessagesPerSecond or a long alert that bulk steps aside for can make a batch outlast Dispatching:LeaseDuration,
/// and the sweeper would then give its rows to another batch that sends them again — over and over, for a batch that is
/// always slower than the lease. A lease only runs out now when its worker stops renewing it: it died or lost the database.</summary>
public sealed class LeaseKeeper(
    IServiceScopeFactory scopes, WorkerLiveness liveness, TimeProvider clock, IOptions<DispatchingOptions> options, ILogger<LeaseKeeper> logger)
{
    /// <summary>Renews the claim's lease every third of Dispatching:LeaseDuration until disposed.</summary>
    public HeldLease Hold(Claim claim) => new(claim, scopes, liveness, clock, options.Value.LeaseDuration, logger);

    /// <summary>A lease being renewed. The batch asks <see cref="Held"/> before each message.</summary>
    public sealed class HeldLease : IAsyncDisposable
    {
        private readonly Claim _claim;
        private readonly IServiceScopeFactory _scopes;
        private readonly WorkerLiveness _liveness;
        private readonly TimeProvider _clock;
        private readonly TimeSpan _duration;
        private readonly TimeSpan _every;
        private readonly ILogger _logger;
        private readonly CancellationTokenSource _stop = new();
        private readonly PeriodicTimer _timer;
        private readonly Task _renewing;
        private long _heldUntilTicks;
        private int _settled;

        internal HeldLease(Claim claim, IServiceScopeFactory scopes, WorkerLiveness liveness, TimeProvider clock, TimeSpan duration, ILogger logger)
        {
            (_claim, _scopes, _liveness, _clock, _duration, _logger) = (claim, scopes, liveness, clock, duration, logger);
            _every = duration / 3;
            _timer = new PeriodicTimer(_every, clock);
            Renewed(claim.LeaseUntil);
            _renewing = claim.Rows.Count == 0 ? Task.CompletedTask : RenewAsync();
        }

        /// <summary>False once another claim has taken some of the rows over, once renewals have failed (the database
        /// is away) for so long that the lease may run out before the next message is sent, or once this worker may have
        /// been declared dead (WorkerLiveness): the batch then stops and gives back the rest rather than risk sending it
        /// twice. A third of the lease is kept in hand for the message in flight and the clocks of the other workers.
        /// Asked before each message, so it is cheap.</summary>
        public bool Held => _clock.GetUtcNow().UtcDateTime.Ticks < Volatile.Read(ref _heldUntilTicks) && _liveness.Holds(_claim.WorkerId);

        /// <summary>The batch is writing the outcomes of its first <paramref name="rows"/> rows: they leave the claim, and
        /// a renewal that finds that many fewer must not take it for a takeover. Said before the write, so a renewal never
        /// sees a written row it does not expect; while the write is under way it can only miss a takeover, which the
        /// next renewal finds.</summary>
        public void Settling(int rows) => Volatile.Write(ref _settled, rows);

        private void Renewed(DateTime leaseUntil) => Volatile.Write(ref _heldUntilTicks, (leaseUntil - _every).Ticks);

        /// <summary>Ends when the timer is disposed (the wait then answers false): a wait cancelled by a token would throw,
        /// and PeriodicTimer gives that exception a stack trace with file and line — the PDBs read at every batch's end.</summary>
        private async Task RenewAsync()
        {
            try
            {
                while (await _timer.WaitForNextTickAsync())
                    if (!await RenewOnceAsync()) return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // A renewal was under way when the batch ended.
            }
        }

        /// <returns>False when the lease is lost for good.</returns>
        private async Task<bool> RenewOnceAsync()
        {
            var leaseUntil = _clock.GetUtcNow().UtcDateTime + _duration;
            try
            {
                // Its own scope and context: the batch's are in use on the sending thread. Every row of the claim whose
                // outcome the batch is not writing is still in flight, so fewer than those means some were taken over.
                await using var scope = _scopes.CreateAsyncScope();
                var renewed = await scope.ServiceProvider.GetRequiredService<DeliveryLedger>().RenewAsync(_claim, leaseUntil, _stop.Token);
                var inFlight = _claim.Rows.Count - Volatile.Read(ref _settled);
                if (renewed < inFlight)
                {
                    Volatile.Write(ref _heldUntilTicks, 0);
                    _logger.LogWarning("Lease lost on {Lost} deliveries of dispatch {DispatchId} while sending them; the batch stops",
                        inFlight - renewed, _claim.DispatchId);
                    return false;
                }
                Renewed(leaseUntil);
            }
            catch (Exception e) when (!_stop.IsCancellationRequested)
            {
                // Tried again at the next tick; Held turns false if the lease may run out first.
                _logger.LogWarning(e, "Could not renew the lease of {Count} deliveries of dispatch {DispatchId}",
                    _claim.Rows.Count, _claim.DispatchId);
            }
            return true;
        }

        public async ValueTask DisposeAsync()
        {
            _timer.Dispose();
            await _stop.CancelAsync();
            await _renewing;
            _stop.Dispose();
        }
    }
}

using Dispatcher.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dispatcher.Tests.Hosting;

public sealed class StartupWarmUpTests
{
    [Fact]
    public async Task A_step_that_fails_does_not_stop_the_others_or_readiness()
    {
        var failing = new Step("opening the alert lane's connections", TimeSpan.Zero, fails: true);
        var slower = new Step("compiling the email templates", TimeSpan.FromMilliseconds(200));
        var warmUp = new StartupWarmUp([failing, slower], NullLogger<StartupWarmUp>.Instance);

        await warmUp.StartAsync(CancellationToken.None);
        await warmUp.ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(warmUp.IsDone);
        Assert.NotEqual(default, slower.EndedAt);
        Assert.Equal("", warmUp.Doing);
    }

    [Fact]
    public async Task Until_every_step_is_done_it_says_what_is_still_being_done()
    {
        var quick = new Step("opening the alert lane's connections", TimeSpan.Zero);
        var slow = new Step("compiling the email templates", TimeSpan.FromSeconds(30));
        var warmUp = new StartupWarmUp([quick, slow], NullLogger<StartupWarmUp>.Instance);

        await warmUp.StartAsync(CancellationToken.None);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (warmUp.Doing != "compiling the email templates" && waited.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(10);

        Assert.Equal("compiling the email templates", warmUp.Doing);
        Assert.False(warmUp.IsDone);
        await warmUp.StopAsync(CancellationToken.None);
    }

    private sealed class Step(string doing, TimeSpan takes, bool fails = false) : IWarmUpStep
    {
        public string Doing => doing;
        public DateTime StartedAt { get; private set; }
        public DateTime EndedAt { get; private set; }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            StartedAt = DateTime.UtcNow;
            await Task.Delay(takes, cancellationToken); // the work a step does, not a wait for something
            EndedAt = DateTime.UtcNow;
            if (fails) throw new InvalidOperationException("no relay");
        }
    }
}

using Dispatcher.Mail;

namespace Dispatcher.Tests.Mail;

public sealed class ConnectionLimitTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void While_more_connections_bring_more_answers_the_limit_doubles_up_to_its_cap()
    {
        var limit = new ConnectionLimit(cap: 64, initial: 16);
        var now = TimeSpan.Zero;
        // A relay 20 ms away: each connection answers 50 messages a second, however many there are.
        for (var i = 0; i < 40; i++)
        {
            Answer(limit, limit.Value * 50 * Step.TotalSeconds);
            now += Step;
            limit.Tick(now, saturated: true, opening: 0);
        }

        Assert.Equal(64, limit.Value);
    }

    [Fact]
    public void When_more_connections_bring_no_more_answers_the_limit_goes_back_and_rests()
    {
        var limit = new ConnectionLimit(cap: 64, initial: 16);
        var now = TimeSpan.Zero;
        // A relay that takes 2,000 messages a second, however many connections send.
        for (var i = 0; i < 20; i++)
        {
            Answer(limit, 2000 * Step.TotalSeconds);
            now += Step;
            limit.Tick(now, saturated: true, opening: 0);
        }

        Assert.Equal(16, limit.Value);
    }

    [Fact]
    public void A_trial_is_measured_only_once_the_new_connections_are_open()
    {
        var limit = new ConnectionLimit(cap: 64, initial: 16);
        var now = Step;
        limit.Tick(now, saturated: true, opening: 0);
        Answer(limit, 200);
        limit.Tick(now += Step, saturated: true, opening: 0);
        Assert.Equal(32, limit.Value);

        // TLS handshakes take a while; no answers meanwhile must not end the trial.
        for (var i = 0; i < 8; i++) limit.Tick(now += Step, saturated: true, opening: 16);
        Assert.Equal(32, limit.Value);

        Answer(limit, 800);
        limit.Tick(now += Step, saturated: true, opening: 0);
        Answer(limit, 800);
        limit.Tick(now += Step, saturated: true, opening: 0);
        Assert.True(limit.Value >= 32);
    }

    [Fact]
    public void A_relay_too_busy_gets_three_quarters_of_what_was_open_and_no_growth_for_a_while()
    {
        var limit = new ConnectionLimit(cap: 64, initial: 64);
        var now = TimeSpan.FromSeconds(1);

        limit.BackOff(now, open: 40);
        Assert.Equal(30, limit.Value);

        for (var i = 0; i < 10; i++)
        {
            Answer(limit, 1000);
            limit.Tick(now += Step, saturated: true, opening: 0);
        }
        Assert.Equal(30, limit.Value);

        // After the rest it tries again.
        now += ConnectionLimit.Rest;
        limit.Tick(now, saturated: true, opening: 0);
        Assert.Equal(60, limit.Value);
    }

    [Fact]
    public void It_never_goes_below_one_or_above_its_cap()
    {
        var limit = new ConnectionLimit(cap: 4, initial: 16);
        Assert.Equal(4, limit.Value);
        for (var i = 0; i < 5; i++) limit.BackOff(TimeSpan.FromSeconds(i), open: 1);
        Assert.Equal(1, limit.Value);
    }

    [Fact]
    public void Without_mail_waiting_it_does_not_grow()
    {
        var limit = new ConnectionLimit(cap: 64, initial: 8);
        var now = TimeSpan.Zero;
        for (var i = 0; i < 20; i++) limit.Tick(now += Step, saturated: false, opening: 0);
        Assert.Equal(8, limit.Value);
    }

    [Fact]
    public void A_process_starts_where_the_relay_was_before_within_the_cap_and_keeps_a_trial_out_of_what_it_learnt()
    {
        var limit = new ConnectionLimit(cap: 64, initial: 16);
        limit.StartAt(48);
        Assert.Equal(48, limit.Value);
        limit.StartAt(500);
        Assert.Equal(64, limit.Value);

        var trying = new ConnectionLimit(cap: 64, initial: 16);
        var now = TimeSpan.Zero;
        Answer(trying, 200);
        trying.Tick(now += Step, saturated: true, opening: 0);
        Answer(trying, 200);
        trying.Tick(now += Step, saturated: true, opening: 0);
        Assert.Equal(32, trying.Value);   // a trial
        Assert.Equal(16, trying.Settled); // not yet shown to be worth it
    }

    private static void Answer(ConnectionLimit limit, double count)
    {
        for (var i = 0; i < (int)count; i++) limit.Answered();
    }
}

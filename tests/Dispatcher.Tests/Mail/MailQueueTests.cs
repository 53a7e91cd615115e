using Dispatcher.Mail;

namespace Dispatcher.Tests.Mail;

public sealed class MailQueueTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    [Fact]
    public void Urgent_jobs_are_taken_before_bulk_ones_whatever_came_first()
    {
        var queue = new MailQueue();
        var bulk = Job(Lane.Bulk);
        var urgent = Job(Lane.Urgent);
        queue.Add(bulk);
        queue.Add(urgent);

        Assert.Same(urgent, queue.TryTake(urgentOnly: false));
        Assert.Same(bulk, queue.TryTake(urgentOnly: false));
    }

    [Fact]
    public void The_alert_lane_s_own_connections_never_take_bulk_mail()
    {
        var queue = new MailQueue();
        queue.Add(Job(Lane.Bulk));

        Assert.Null(queue.TryTake(urgentOnly: true));
        Assert.Equal(1, queue.Count);
    }

    [Fact]
    public async Task A_waiting_connection_is_handed_the_next_job_of_its_lane()
    {
        var queue = new MailQueue();
        var alertConnection = queue.TakeAsync(urgentOnly: true, Long).AsTask();
        var sharedConnection = queue.TakeAsync(urgentOnly: false, Long).AsTask();
        var bulk = Job(Lane.Bulk);
        var urgent = Job(Lane.Urgent);

        queue.Add(bulk);
        Assert.Same(bulk, await sharedConnection);
        Assert.False(alertConnection.IsCompleted);
        queue.Add(urgent);
        Assert.Same(urgent, await alertConnection);
    }

    [Fact]
    public void A_withdrawn_job_is_never_taken()
    {
        var queue = new MailQueue();
        var withdrawn = Job(Lane.Bulk);
        var next = Job(Lane.Bulk);
        queue.Add(withdrawn);
        queue.Add(next);

        Assert.True(withdrawn.TryWithdraw());
        Assert.Same(next, queue.TryTake(urgentOnly: false));
        Assert.Null(queue.TryTake(urgentOnly: false));
    }

    [Fact]
    public void A_taken_job_cannot_be_withdrawn_and_a_job_given_back_goes_first()
    {
        var queue = new MailQueue();
        var first = Job(Lane.Bulk);
        var second = Job(Lane.Bulk);
        queue.Add(first);
        queue.Add(second);

        var taken = queue.TryTake(urgentOnly: false)!;
        Assert.False(taken.TryWithdraw());
        taken.GiveBack();
        queue.Add(taken, first: true);

        Assert.Same(first, queue.TryTake(urgentOnly: false));
        Assert.Equal(1, first.Returned);
    }

    [Fact]
    public async Task A_wait_that_runs_out_returns_nothing_and_the_next_job_waits_in_the_queue()
    {
        var queue = new MailQueue();
        Assert.Null(await queue.TakeAsync(urgentOnly: false, TimeSpan.FromMilliseconds(20)));

        var job = Job(Lane.Bulk);
        queue.Add(job);
        Assert.Same(job, queue.TryTake(urgentOnly: false));
    }

    [Fact]
    public async Task Stopping_ends_every_wait()
    {
        var queue = new MailQueue();
        var waiting = queue.TakeAsync(urgentOnly: false, Long).AsTask();

        queue.Stop();

        Assert.Null(await waiting);
        Assert.Null(await queue.TakeAsync(urgentOnly: false, Long));
    }

    [Fact]
    public async Task Each_job_goes_to_exactly_one_of_many_connections()
    {
        var queue = new MailQueue();
        var jobs = Enumerable.Range(0, 10_000).Select(i => Job(i % 10 == 0 ? Lane.Urgent : Lane.Bulk)).ToList();
        var taken = new System.Collections.Concurrent.ConcurrentBag<MailJob>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var connections = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            while (taken.Count < jobs.Count && DateTime.UtcNow < deadline)
                if (await queue.TakeAsync(urgentOnly: i < 2, TimeSpan.FromMilliseconds(20)) is { } job) taken.Add(job);
        })).ToList();

        Parallel.ForEach(jobs, job => queue.Add(job));
        await Task.WhenAll(connections);

        Assert.Equal(jobs.Count, taken.Count);
        Assert.Equal(jobs.Count, taken.Distinct().Count());
    }

    private static MailJob Job(Lane lane) => new SingleMailJob(lane, "bounce@example.org", "a@example.org", new MimeKit.MimeMessage());
}

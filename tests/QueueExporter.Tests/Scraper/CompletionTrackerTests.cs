using QueueExporter.Scraper.Database;
using QueueExporter.Scraper.Labels;
using Xunit;

namespace QueueExporter.Tests.Scraper;

public sealed class CompletionTrackerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_job_seen_active_then_done_counts_once_with_its_duration_and_wait()
    {
        var tracker = NewTracker();
        tracker.Observe(["a"], [Row("a", "pending")]);

        var first = tracker.Observe(["a"], [Row("a", "done", started: Start.AddSeconds(3), done: Start.AddSeconds(5), execTime: 1.5)]);
        var again = tracker.Observe(["a"], [Row("a", "done", started: Start.AddSeconds(3), done: Start.AddSeconds(5), execTime: 1.5)]);

        var completion = Assert.Single(first);
        Assert.Equal("done", completion.State);
        Assert.Equal(1.5, completion.DurationSeconds);
        Assert.Equal(3, completion.WaitSeconds);
        Assert.Empty(again);
    }

    [Fact]
    public void Without_exec_time_the_duration_is_date_done_minus_date_started()
    {
        var tracker = NewTracker();
        tracker.Observe(["a"], [Row("a", "started")]);

        var completion = Assert.Single(tracker.Observe(["a"], [Row("a", "done", started: Start.AddSeconds(1), done: Start.AddSeconds(4))]));

        Assert.Equal(3, completion.DurationSeconds);
    }

    [Fact]
    public void The_wait_starts_at_the_eta_when_it_is_later_than_the_creation()
    {
        var tracker = NewTracker();
        tracker.Observe(["a"], [Row("a", "pending")]);

        var completion = Assert.Single(tracker.Observe(
            ["a"],
            [Row("a", "done", eta: Start.AddSeconds(60), started: Start.AddSeconds(62), done: Start.AddSeconds(63))]));

        Assert.Equal(2, completion.WaitSeconds);
    }

    [Fact]
    public void A_job_never_seen_counts_when_it_completed_after_following_began()
    {
        var tracker = NewTracker();

        var recent = tracker.Observe(["new"], [Row("new", "done", created: Start.AddSeconds(1), started: Start.AddSeconds(1), done: Start.AddSeconds(2))]);
        var old = tracker.Observe(["old"], [Row("old", "done", created: Start.AddDays(-3), started: Start.AddDays(-3), done: Start.AddDays(-3))]);

        Assert.Single(recent);
        Assert.Empty(old);
    }

    [Fact]
    public void A_failed_job_requeued_and_done_counts_twice_with_its_exception()
    {
        var tracker = NewTracker();
        tracker.Observe(["a"], [Row("a", "started")]);

        var failed = tracker.Observe(["a"], [Row("a", "failed", started: Start.AddSeconds(1), exception: "odoo.exceptions.UserError")]);
        tracker.Observe(["a"], [Row("a", "pending")]);
        var done = tracker.Observe(["a"], [Row("a", "done", started: Start.AddSeconds(9), done: Start.AddSeconds(10))]);

        Assert.Equal("odoo.exceptions.UserError", Assert.Single(failed).ExceptionLabel);
        Assert.Equal("done", Assert.Single(done).State);
    }

    [Fact]
    public void Resynchronising_returns_the_jobs_that_left_the_active_states_unseen()
    {
        var tracker = NewTracker();
        tracker.Resynchronise([("a", "pending"), ("b", "enqueued"), ("c", "started")]);

        var vanished = tracker.Resynchronise([("a", "pending")]);
        var completions = tracker.Observe(vanished, [Row("b", "cancelled", cancelled: Start.AddSeconds(1))]);

        Assert.Equal(["b", "c"], vanished.Order());
        Assert.Equal("cancelled", Assert.Single(completions).State);
        Assert.Equal(1, tracker.TrackedActiveJobs);
    }

    [Fact]
    public void A_deleted_active_job_is_forgotten_without_counting()
    {
        var tracker = NewTracker();
        tracker.Observe(["a"], [Row("a", "pending")]);

        var completions = tracker.Observe(["a"], []);

        Assert.Empty(completions);
        Assert.Equal(0, tracker.TrackedActiveJobs);
    }

    [Fact]
    public void The_number_of_remembered_active_jobs_is_bounded()
    {
        var tracker = new CompletionTracker(Start, new FirstSeenLabels(5), maxActiveJobs: 2);

        tracker.Resynchronise([("a", "pending"), ("b", "pending"), ("c", "pending")]);

        Assert.Equal(2, tracker.TrackedActiveJobs);
    }

    [Fact]
    public void Exception_labels_beyond_the_capacity_become_other()
    {
        var labels = new FirstSeenLabels(2);

        Assert.Equal("a.A", labels.LabelFor("a.A"));
        Assert.Equal("b.B", labels.LabelFor("b.B"));
        Assert.Equal(FirstSeenLabels.Other, labels.LabelFor("c.C"));
        Assert.Equal("a.A", labels.LabelFor("a.A"));
        Assert.Equal(FirstSeenLabels.Unknown, labels.LabelFor(null));
    }

    [Fact]
    public void A_completion_is_labelled_with_its_bounded_function()
    {
        var tracker = new CompletionTracker(Start, new FirstSeenLabels(10), functionLabels: new FirstSeenLabels(1));
        tracker.Resynchronise([("a", "started"), ("b", "started"), ("c", "started")]);

        var completions = tracker.Observe(
            ["a", "b", "c"],
            [Row("a", "done", function: "res.partner.write"), Row("b", "done", function: "sale.order.confirm"), Row("c", "done")]);

        Assert.Equal(["res.partner.write", FirstSeenLabels.Other, FirstSeenLabels.Unknown], completions.Select(c => c.FunctionLabel));
    }

    [Fact]
    public void A_failed_job_requeued_or_set_done_by_hand_leaves_the_failed_state_once()
    {
        var tracker = NewTracker();
        tracker.Observe(["a", "b"], [Row("a", "started"), Row("b", "started")]);
        tracker.Observe(["a", "b"], [Row("a", "failed"), Row("b", "failed")]);

        var requeued = tracker.ObserveChanges(["a", "b"], [Row("a", "pending"), Row("b", "done", done: Start.AddSeconds(9))]);
        var again = tracker.ObserveChanges(["a", "b"], [Row("a", "pending"), Row("b", "done", done: Start.AddSeconds(9))]);

        Assert.Equal([new JobStateExit("root", "failed"), new JobStateExit("root", "failed")], requeued.Exits);
        Assert.Equal("done", Assert.Single(requeued.Completions).State);
        Assert.Empty(again.Exits);
        Assert.Empty(again.Completions);
    }

    [Fact]
    public void A_job_postponed_for_retries_counts_each_increase_of_its_retry_counter_once()
    {
        var tracker = NewTracker();
        tracker.ObserveChanges(["a"], [Row("a", "started", retry: 0)]);

        var retried = tracker.ObserveChanges(["a"], [Row("a", "pending", retry: 1)]);
        var unchanged = tracker.ObserveChanges(["a"], [Row("a", "pending", retry: 1)]);
        var failedAfterTwoMore = tracker.ObserveChanges(["a"], [Row("a", "failed", retry: 3)]);

        Assert.Equal(1, retried.Retries!["root"]);
        Assert.Empty(unchanged.Retries!);
        Assert.Equal(2, failedAfterTwoMore.Retries!["root"]);
    }

    [Fact]
    public void A_job_first_read_with_retries_already_made_only_sets_its_base()
    {
        var tracker = NewTracker();

        var first = tracker.ObserveChanges(["a"], [Row("a", "pending", retry: 4)]);
        var next = tracker.ObserveChanges(["a"], [Row("a", "pending", retry: 5)]);

        Assert.Empty(first.Retries!);
        Assert.Equal(1, next.Retries!["root"]);
    }

    [Fact]
    public void A_done_job_reports_its_latency_from_creation_to_done()
    {
        var tracker = NewTracker();
        tracker.Observe(["a"], [Row("a", "started", created: Start, started: Start.AddSeconds(30))]);

        var completion = Assert.Single(tracker.Observe(["a"], [Row("a", "done", created: Start, started: Start.AddSeconds(30), done: Start.AddSeconds(90))]));

        Assert.Equal(90, completion.LatencySeconds);
    }

    private static CompletionTracker NewTracker() => new(Start, new FirstSeenLabels(10));

    private static JobRow Row(
        string uuid,
        string state,
        DateTimeOffset? created = null,
        DateTimeOffset? eta = null,
        DateTimeOffset? started = null,
        DateTimeOffset? done = null,
        DateTimeOffset? cancelled = null,
        double? execTime = null,
        string? exception = null,
        string? function = null,
        int? retry = null) =>
        new(uuid, state, "root", exception, execTime, created ?? Start, eta, started, done, cancelled, function, retry);
}

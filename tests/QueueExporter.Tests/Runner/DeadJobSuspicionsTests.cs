using Microsoft.Extensions.Time.Testing;
using QueueExporter.Runner.Rescue;

namespace QueueExporter.Tests.Runner;

/// <summary>A job is due for rescue only once it has been seen dead, unchanged and never held, for a whole grace.</summary>
public class DeadJobSuspicionsTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);
    private static readonly DateTime Enqueued = new(2026, 11, 29, 12, 0, 0, DateTimeKind.Unspecified);
    private static readonly DateTime StartedAt = Enqueued.AddSeconds(1);

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 30, TimeSpan.Zero));

    [Fact]
    public void A_job_first_seen_dead_is_not_due_before_a_whole_grace_has_passed()
    {
        var suspicions = new DeadJobSuspicions(_clock, Grace, capacity: 10);

        Assert.Empty(suspicions.Observe(100, [Started(1, lockedBy: 7)]));
        _clock.Advance(Grace - TimeSpan.FromMilliseconds(1));
        Assert.Empty(suspicions.Observe(101, [Started(1, lockedBy: 100)]));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([1], suspicions.Observe(102, [Started(1, lockedBy: 101)]));
    }

    [Fact]
    public void A_new_instance_waits_a_whole_grace_whatever_the_job_looked_like_before()
    {
        var suspicions = new DeadJobSuspicions(_clock, Grace, capacity: 10);

        Assert.Empty(suspicions.Observe(100, [Started(1, lockedBy: 7)]));
        _clock.Advance(Grace * 5);
        var fresh = new DeadJobSuspicions(_clock, Grace, capacity: 10);

        Assert.Empty(fresh.Observe(101, [Started(1, lockedBy: 100)]));
    }

    [Fact]
    public void A_pass_that_does_not_see_the_job_dead_breaks_the_sighting()
    {
        var suspicions = new DeadJobSuspicions(_clock, Grace, capacity: 10);

        suspicions.Observe(100, [Started(1, lockedBy: 7)]);
        _clock.Advance(Grace);
        Assert.Empty(suspicions.Observe(101, []));
        _clock.Advance(Grace);
        Assert.Empty(suspicions.Observe(102, [Started(1, lockedBy: 100)]));
        Assert.Equal(1, suspicions.Count);
    }

    [Fact]
    public void A_lock_row_locked_by_someone_else_between_two_passes_starts_the_sighting_again()
    {
        // Seen free before the worker held it, then held and lost (pg_terminate_backend): the row now names
        // the worker's transaction, not the previous pass, and the grace counts from this pass.
        var suspicions = new DeadJobSuspicions(_clock, Grace, capacity: 10);

        suspicions.Observe(100, [Started(1, lockedBy: 0)]);
        _clock.Advance(Grace);
        Assert.Empty(suspicions.Observe(101, [Started(1, lockedBy: 555)]));
        _clock.Advance(Grace - TimeSpan.FromSeconds(1));
        Assert.Empty(suspicions.Observe(102, [Started(1, lockedBy: 101)]));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([1], suspicions.Observe(103, [Started(1, lockedBy: 102)]));
    }

    [Fact]
    public void Passes_may_be_far_apart_when_nobody_locked_the_row_in_between()
    {
        var suspicions = new DeadJobSuspicions(_clock, Grace, capacity: 10);

        suspicions.Observe(100, [Started(1, lockedBy: 3)]);
        _clock.Advance(Grace * 3);

        Assert.Equal([1], suspicions.Observe(101, [Started(1, lockedBy: 100)]));
    }

    [Theory]
    [InlineData("state")]
    [InlineData("date_enqueued")]
    [InlineData("date_started")]
    [InlineData("lock rows")]
    public void A_job_that_changed_in_between_is_a_new_sighting(string change)
    {
        var suspicions = new DeadJobSuspicions(_clock, Grace, capacity: 10);
        var first = Started(1, lockedBy: 3);
        suspicions.Observe(100, [first]);
        _clock.Advance(Grace);

        var changed = change switch
        {
            "state" => first with { State = "enqueued", DateStarted = null },
            "date_enqueued" => first with { DateEnqueued = Enqueued.AddSeconds(30) },
            "date_started" => first with { DateStarted = StartedAt.AddSeconds(30) },
            _ => first with { LockRows = [new LockRowSighting(11, 100), new LockRowSighting(12, 0)] },
        };

        Assert.Empty(suspicions.Observe(101, [changed]));
        _clock.Advance(Grace);
        Assert.Equal([1], suspicions.Observe(102, [changed with { LockRows = [.. changed.LockRows.Select(r => r with { LastLocker = 101 })] }]));
    }

    [Fact]
    public void A_job_without_lock_rows_is_due_after_the_grace()
    {
        var suspicions = new DeadJobSuspicions(_clock, Grace, capacity: 10);
        var enqueued = new DeadJobSighting(5, "enqueued", Enqueued, null, []);

        suspicions.Observe(100, [enqueued]);
        _clock.Advance(Grace);

        Assert.Equal([5], suspicions.Observe(101, [enqueued]));
    }

    [Fact]
    public void At_most_capacity_jobs_are_timed_and_the_rest_wait_for_a_later_pass()
    {
        var suspicions = new DeadJobSuspicions(_clock, Grace, capacity: 2);
        var jobs = Enumerable.Range(1, 4).Select(id => new DeadJobSighting(id, "enqueued", Enqueued, null, [])).ToList();

        suspicions.Observe(100, jobs);
        Assert.Equal(2, suspicions.Count);
        _clock.Advance(Grace);

        Assert.Equal([1, 2], suspicions.Observe(101, jobs));
        // 1 and 2 were requeued: the next pass sees only 3 and 4, and starts timing them.
        var rest = jobs.Skip(2).ToList();
        Assert.Empty(suspicions.Observe(102, rest));
        _clock.Advance(Grace);
        Assert.Equal([3, 4], suspicions.Observe(103, rest));
    }

    private static DeadJobSighting Started(int id, long lockedBy) => new(id, "started", Enqueued, StartedAt, [new LockRowSighting(10 + id, lockedBy)]);
}

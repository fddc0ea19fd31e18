using Xunit;

namespace QueueExporter.Tests.Runner;

/// <summary>
/// Streams on which our scheduler and OCA's channels once disagreed, each cut down to its smallest
/// reproduction (times in seconds, as in OCA's doctests), and pins of the deliberate differences that
/// docs/runner.md names, so that neither drifts unnoticed.
/// </summary>
public class JobSchedulerOcaParityTests
{
    [Fact]
    public void A_failed_job_in_an_unconfigured_subchannel_does_not_block_a_sequential_parent()
    {
        var s = new SchedulerFixture("root.s:1:sequential");
        s.Notify("root.s.x", "j12", 12, 10, "failed", etaSeconds: 1006);
        s.Pending("root.s", "j28", 28);

        Assert.Equal(["j28"], s.RunAt(1034));
        Assert.Equal(1, s.Scheduler.CountChannels().Single(c => c.Channel == "root.s").Failed);
    }

    [Fact]
    public void A_failed_job_of_the_sequential_channel_itself_still_blocks_it_and_its_subchannels()
    {
        var s = new SchedulerFixture("root:4,root.s:1:sequential");
        s.Notify("root.s", "failed", 1, 10, "failed");
        s.Pending("root.s.x", "sub", 2);
        s.Pending("root.s", "own", 3);

        Assert.Empty(s.RunAt(10));
    }

    [Fact]
    public void A_future_eta_job_in_an_unconfigured_subchannel_takes_no_part_in_the_sequential_eta_rule()
    {
        var s = new SchedulerFixture("root.b:1:sequential");
        s.Notify("root.b", "j12", 12, 2, "pending", etaSeconds: 1020);
        s.Notify("root.b.x.y", "j3", 3, 10, "pending", etaSeconds: 1013);
        s.Notify("root.b", "j14", 14, 5, "pending");

        // j12 comes first and waits for its eta; j3's earlier eta does not hide it.
        Assert.Empty(s.RunAt(1010));
        Assert.Equal(1013, s.WakeUp());
        Assert.Empty(s.RunAt(1013));
        Assert.Equal(["j12"], s.RunAt(1020));
    }

    [Fact]
    public void A_future_eta_job_in_a_deeper_unconfigured_subchannel_does_not_block_a_ready_job_of_a_shallower_one()
    {
        var s = new SchedulerFixture("root.a.x.y:1:sequential");
        s.Notify("root.a.x.y.x.y", "early", 1, 1, "pending", etaSeconds: 1020);
        s.Notify("root.a.x.y.x", "ready", 2, 10, "pending");

        Assert.Equal(["ready"], s.RunAt(1010));
    }

    [Fact]
    public void A_sequential_channel_waits_for_its_eta_job_that_comes_before_a_child_channels_job()
    {
        var s = new SchedulerFixture("root.a.x.y:1:sequential,root:1:sequential");
        s.Notify("root.a.x.y", "j4", 4, 10, "pending", createdSeconds: 959);
        s.Notify("root", "j6", 6, 5, "pending", etaSeconds: 1011, createdSeconds: 961);

        Assert.Empty(s.RunAt(1006));
        Assert.Equal(1011, s.WakeUp());
        Assert.Equal(["j6"], s.RunAt(1011));
    }

    [Fact]
    public void A_child_channels_job_that_comes_before_the_eta_job_passes_a_sequential_channel()
    {
        var s = new SchedulerFixture("root:1:sequential,root.c:1");
        s.Pending("root", "own", 1, priority: 10);
        s.Notify("root", "eta", 2, 5, "pending", etaSeconds: 1020);
        s.Pending("root.c", "child", 3, priority: 1);

        Assert.Equal(["child"], s.RunAt(1000));
    }

    [Fact]
    public void A_better_job_arriving_in_a_child_overtakes_a_job_oca_would_have_parked_in_the_full_parent()
    {
        // Deliberate difference: OCA moves a1 into root's queue at 100 and counts it as running in A, so
        // a2 cannot leave A and a1 starts first; here nothing is parked and the best job starts.
        var s = new SchedulerFixture("root:1,A:1");
        s.Notify("root", "r0", 1, 10, "started");
        s.Pending("A", "a1", 2, priority: 10);

        Assert.Empty(s.RunAt(100));
        Assert.Equal(0, s.Scheduler.CountChannels().Single(c => c.Channel == "root.A").Running);

        s.Pending("A", "a2", 3, priority: 1);
        Assert.Empty(s.RunAt(101));

        s.Notify("root", "r0", 1, 10, "done");
        Assert.Equal(["a2"], s.RunAt(102));
    }

    [Fact]
    public void A_throttle_pause_starts_at_the_real_dispatch_not_when_a_full_parent_would_have_parked_the_job()
    {
        // Deliberate difference: OCA starts T's pause at 100, when it parks t1 in the full root, and so
        // lets t2 go at 110; here the pause starts when t1 really starts, at 105, and ends at 115.
        var s = new SchedulerFixture("root:1,T:2:throttle=10");
        s.Notify("root", "r0", 1, 10, "started");
        s.Pending("T", "t1", 2);
        s.Pending("T", "t2", 3);

        Assert.Empty(s.RunAt(100));

        s.Notify("root", "r0", 1, 10, "done");
        Assert.Equal(["t1"], s.RunAt(105));

        s.Notify("T", "t1", 2, 10, "done");
        Assert.Empty(s.RunAt(110));
        Assert.Equal(115, s.WakeUp());
        Assert.Equal(["t2"], s.RunAt(115));
    }

    [Fact]
    public void A_job_sent_back_to_wait_for_its_dependencies_frees_its_slot_and_unblocks_its_sequential_channel()
    {
        // Deliberate difference: OCA's notify does nothing for wait_dependencies, so a job that a retry
        // or requeue sends back there (a parent is no longer done) keeps its place: still running in
        // root, still failed in root.s. Here it is forgotten until it is pending again.
        var s = new SchedulerFixture("root:1,root.s:1:sequential");
        s.Notify("root", "retried", 1, 10, "started");
        s.Notify("root.s", "requeued", 2, 10, "failed");
        s.Pending("root.s", "next", 3);
        Assert.Empty(s.RunAt(100));

        s.Notify("root", "retried", 1, 10, "wait_dependencies");
        s.Notify("root.s", "requeued", 2, 10, "wait_dependencies");

        Assert.Equal(["next"], s.RunAt(101));
    }
}

using QueueExporter.Runner.Channels;
using Xunit;

namespace QueueExporter.Tests.Runner;

public class JobSchedulerTests
{
    [Fact]
    public void A_loaded_job_is_the_job_its_notifications_name_by_text()
    {
        var s = new SchedulerFixture("root:1");
        var uuid = Guid.NewGuid().ToString("D");
        var upper = Guid.NewGuid().ToString("D").ToUpperInvariant();
        s.Scheduler.Load(SchedulerFixture.Db, [
            LoadedJobs.Of(new JobFacts(SchedulerFixture.Db, uuid, "pending", "root", 10, SchedulerFixture.At(0), 1, null)),
            LoadedJobs.Of(new JobFacts(SchedulerFixture.Db, upper, "pending", "root", 10, SchedulerFixture.At(1), 2, null))]);

        // The re-read of a notification names the job by its text: the same job moves, none is added.
        s.Notify("root", uuid, 1, 10, "started");
        Assert.Equal(2, s.Scheduler.JobCount);
        Assert.True(s.Scheduler.IsRunning(SchedulerFixture.Db, uuid));
        Assert.Empty(s.RunAt(0));

        s.Notify("root", uuid, 1, 10, "done");
        Assert.Equal([upper], s.RunAt(0));
        Assert.True(s.Scheduler.Remove(SchedulerFixture.Db, upper));
        Assert.Equal(0, s.Scheduler.JobCount);
    }

    [Fact]
    public void Root_defaults_to_capacity_one_when_only_subchannels_are_configured()
    {
        var s = new SchedulerFixture("mail:3");
        s.Pending("root.mail", "m1", 1);
        s.Pending("root.mail", "m2", 2);

        Assert.Equal(["m1"], s.RunAt(0));
    }

    [Fact]
    public void A_subchannel_is_bounded_by_every_ancestor()
    {
        var s = new SchedulerFixture("root:0,a:2,a.b.c:5");
        for (var i = 1; i <= 5; i++)
        {
            s.Pending("root.a.b.c", $"j{i}", i);
        }

        Assert.Equal(["j1", "j2"], s.RunAt(0));
        Assert.Contains(s.Scheduler.Channels, c => c.Name == "root.a.b" && c.Capacity == 0);
    }

    [Fact]
    public void Capacity_zero_means_unlimited()
    {
        var s = new SchedulerFixture("root:0");
        for (var i = 1; i <= 50; i++)
        {
            s.Pending("root", $"j{i}", i);
        }

        Assert.Equal(50, s.RunAt(0).Count);
    }

    [Fact]
    public void An_unconfigured_subchannel_runs_within_its_nearest_configured_ancestor()
    {
        var s = new SchedulerFixture("root:10,a:1");
        s.Pending("root.a.unknown.deeper", "x1", 1);
        s.Pending("root.a", "x2", 2);
        s.Pending("root.elsewhere", "r1", 3);

        var taken = s.Scheduler.TakeRunnable();

        Assert.Equal([("x1", "root.a"), ("r1", "root")], taken.Select(j => (j.Uuid, j.Channel)));
    }

    [Fact]
    public void A_paused_channel_dispatches_nothing_and_asks_for_no_wake_up()
    {
        var s = new SchedulerFixture("root:4,a:2:paused");
        s.Pending("root.a", "a1", 1, etaSeconds: 5);
        s.Pending("root.a.sub", "a2", 2);
        s.Pending("root", "r1", 3);

        Assert.Equal(["r1"], s.RunAt(0));
        Assert.Equal(0, s.WakeUp());
        Assert.Empty(s.RunAt(10));
    }

    [Fact]
    public void Lower_priority_then_older_then_smaller_id_runs_first()
    {
        var s = new SchedulerFixture("root:1");
        s.Notify("root", "late", 1, 10, "pending", createdSeconds: 9);
        s.Notify("root", "early-big-id", 7, 10, "pending", createdSeconds: 1);
        s.Notify("root", "early-small-id", 3, 10, "pending", createdSeconds: 1);
        s.Notify("root", "urgent", 9, 1, "pending", createdSeconds: 20);

        var order = new List<string>();
        while (s.RunAt(0) is [var next])
        {
            order.Add(next);
            s.Notify("root", next, 0, 0, "done");
        }

        Assert.Equal(["urgent", "early-small-id", "early-big-id", "late"], order);
    }

    [Fact]
    public void Started_and_enqueued_jobs_loaded_at_start_take_their_capacity()
    {
        var s = new SchedulerFixture("root:2");
        s.Notify("root", "running", 1, 10, "started");
        s.Notify("root", "queued", 2, 10, "enqueued");
        s.Pending("root", "waiting", 3);

        Assert.Empty(s.RunAt(0));

        s.Notify("root", "running", 1, 10, "done");
        Assert.Equal(["waiting"], s.RunAt(0));
    }

    [Fact]
    public void The_same_uuid_in_two_databases_is_two_jobs()
    {
        var s = new SchedulerFixture("root:5");
        const string uuid = "0b6f2c9e-5d8a-4d0e-9a53-3c7f0d3e1a11";
        s.Notify("root", uuid, 1, 10, "pending", database: "one");
        s.Notify("root", uuid, 1, 10, "pending", database: "two");

        var taken = s.Scheduler.TakeRunnable();

        Assert.Equal(["one", "two"], taken.Select(j => j.Database));
        Assert.All(taken, j => Assert.Equal(uuid, j.Uuid));
        Assert.Equal(2, s.Scheduler.JobCount);
    }

    [Theory]
    [InlineData("0B6F2C9E-5D8A-4D0E-9A53-3C7F0D3E1A11")]
    [InlineData("not-a-uuid")]
    [InlineData("0b6f2c9e5d8a4d0e9a533c7f0d3e1a11")]
    public void Uuids_that_are_not_canonical_keep_their_exact_text(string uuid)
    {
        var s = new SchedulerFixture("root:1");
        s.Pending("root", uuid, 1);

        Assert.Equal([uuid], s.RunAt(0));
        Assert.True(s.Scheduler.Remove(SchedulerFixture.Db, uuid));
        Assert.Equal(0, s.Scheduler.JobCount);
    }

    [Theory]
    [InlineData("done")]
    [InlineData("cancelled")]
    [InlineData("wait_dependencies")]
    public void Terminal_and_waiting_states_make_the_scheduler_forget_the_job(string state)
    {
        var s = new SchedulerFixture("root:1");
        s.Pending("root", "j1", 1);

        s.Notify("root", "j1", 1, 10, state);

        Assert.Equal(0, s.Scheduler.JobCount);
        Assert.Empty(s.RunAt(0));
    }

    [Fact]
    public void A_changed_priority_reorders_a_queued_job()
    {
        var s = new SchedulerFixture("root:1");
        s.Pending("root", "a", 1);
        s.Pending("root", "b", 2);

        s.Pending("root", "b", 2, priority: 1);

        Assert.Equal(["b"], s.RunAt(0));
    }

    [Fact]
    public void A_job_moved_to_another_channel_counts_there()
    {
        var s = new SchedulerFixture("root:5,a:1,b:1");
        s.Notify("root.a", "j", 1, 10, "started");
        s.Notify("root.b", "j", 1, 10, "started");
        s.Pending("root.a", "k", 2);

        Assert.Equal(["k"], s.RunAt(0));
        var counts = s.Scheduler.CountChannels().ToDictionary(c => c.Channel);
        Assert.Equal((1, 1), (counts["root.a"].Running, counts["root.b"].Running));
    }

    [Fact]
    public void Forgetting_a_database_releases_its_capacity_and_keeps_the_others()
    {
        var s = new SchedulerFixture("root:1");
        s.Notify("root", "gone", 1, 10, "started", database: "old");
        s.Notify("root", "stay", 1, 10, "pending", database: "new");
        Assert.Empty(s.RunAt(0));

        s.Scheduler.ForgetDatabase("old");

        Assert.Equal(["stay"], s.RunAt(0));
        Assert.Equal(1, s.Scheduler.JobCount);
    }

    [Fact]
    public void Runnable_since_is_the_eta_when_the_eta_passed_after_the_job_was_seen()
    {
        var s = new SchedulerFixture("root:1");
        s.Pending("root", "later", 1, etaSeconds: 30);

        s.Clock.SetUtcNow(SchedulerFixture.At(45));
        var job = Assert.Single(s.Scheduler.TakeRunnable());

        Assert.Equal(SchedulerFixture.At(30), job.RunnableSince);
    }

    [Fact]
    public void Take_runnable_honours_its_limit_and_keeps_the_rest_for_later()
    {
        var s = new SchedulerFixture("root:0");
        for (var i = 1; i <= 10; i++)
        {
            s.Pending("root", $"j{i}", i);
        }

        Assert.Equal(3, s.Scheduler.TakeRunnable(max: 3).Count);
        Assert.Equal(7, s.Scheduler.TakeRunnable().Count);
    }

    [Fact]
    public void Failed_jobs_are_counted_but_block_only_sequential_channels()
    {
        var s = new SchedulerFixture("root:3,seq:1:sequential,par:1");
        s.Notify("root.seq", "f1", 1, 10, "failed");
        s.Notify("root.par", "f2", 2, 10, "failed");
        s.Pending("root.seq", "s1", 3);
        s.Pending("root.par", "p1", 4);

        Assert.Equal(["p1"], s.RunAt(0));
        Assert.Equal(1, s.Scheduler.CountChannels().Single(c => c.Channel == "root.seq").Failed);
    }

    [Fact]
    public void A_bad_configuration_entry_in_the_tree_is_rejected()
    {
        Assert.Throws<ChannelConfigurationException>(() =>
            new JobScheduler([new ChannelConfiguration("root.a", 1), new ChannelConfiguration("root.a", 2)], TimeProvider.System));
    }
}

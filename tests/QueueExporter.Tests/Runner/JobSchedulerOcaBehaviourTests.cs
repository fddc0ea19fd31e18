using Xunit;

namespace QueueExporter.Tests.Runner;

/// <summary>The behaviours OCA's channels module documents, replayed against our scheduler.</summary>
public class JobSchedulerOcaBehaviourTests
{
    [Fact]
    public void Jobs_fill_root_capacity_respecting_each_channel_capacity_and_priority()
    {
        var s = new SchedulerFixture("root:4,A:4,B:1");
        for (var i = 1; i <= 6; i++)
        {
            s.Pending("A", $"A{i}", i);
        }

        s.Pending("B", "B1", 1, priority: 5);
        s.Pending("B", "B2", 2, priority: 5);

        Assert.Equal(["B1", "A1", "A2", "A3"], s.RunAt(100));

        s.Notify("A", "A2", 2, 10, "done");
        Assert.Equal(["A4"], s.RunAt(100));

        s.Notify("B", "B1", 1, 5, "done");
        Assert.Equal(["B2"], s.RunAt(100));

        s.Notify("A", "A1", 1, 10, "done");
        s.Pending("A", "A6", 6, priority: 5);
        Assert.Equal(["A6"], s.RunAt(100));
    }

    [Fact]
    public void Throttle_lets_one_job_through_per_delay_and_reports_the_wake_up()
    {
        var s = new SchedulerFixture("root:4,A:4:throttle=2");
        s.Pending("A", "A1", 1);
        s.Pending("A", "A2", 2);

        Assert.Equal(["A1"], s.RunAt(100));
        Assert.Equal(102, s.WakeUp());
        Assert.Empty(s.RunAt(101));
        Assert.Equal(102, s.WakeUp());
        Assert.Equal(["A2"], s.RunAt(102));
        Assert.Equal(104, s.WakeUp());
    }

    [Fact]
    public void A_full_throttled_channel_asks_for_no_wake_up_until_room_frees()
    {
        var s = new SchedulerFixture("root:4,T:2:throttle=2");
        s.Pending("T", "T1", 1);
        s.Pending("T", "T2", 2);
        s.Pending("T", "T3", 3);

        Assert.Equal(["T1"], s.RunAt(100));
        Assert.Equal(["T2"], s.RunAt(102));
        Assert.Empty(s.RunAt(103));
        Assert.Equal(0, s.WakeUp());
        Assert.Empty(s.RunAt(104));

        s.Notify("T", "T1", 1, 10, "done");
        Assert.Equal(["T3"], s.RunAt(105));
        Assert.Equal(0, s.WakeUp());

        s.Notify("T", "T2", 2, 10, "done");
        Assert.Equal(107, s.WakeUp());
    }

    [Fact]
    public void A_job_with_a_future_eta_waits_and_sets_the_wake_up()
    {
        var s = new SchedulerFixture("root:4,E:1");
        s.Pending("E", "E1", 1);
        s.Pending("E", "E2", 2);
        s.Pending("E", "E3", 3);

        Assert.Equal(["E1"], s.RunAt(100));
        Assert.Empty(s.RunAt(101));

        s.Pending("E", "E1", 1, etaSeconds: 105);
        Assert.Equal(105, s.WakeUp());
        Assert.Equal(["E2"], s.RunAt(102));
        Assert.Empty(s.RunAt(106));
        Assert.Equal(0, s.WakeUp());

        s.Notify("E", "E2", 2, 10, "done");
        Assert.Equal(105, s.WakeUp());
        Assert.Equal(["E1"], s.RunAt(107));
        Assert.Equal(0, s.WakeUp());
    }

    [Fact]
    public void A_sequential_channel_stops_on_a_failed_job_and_keeps_order_across_etas()
    {
        var s = new SchedulerFixture("root:4,S:1:sequential");
        s.Pending("S", "S1", 1);
        s.Pending("S", "S2", 2);
        s.Pending("S", "S3", 3);

        Assert.Equal(["S1"], s.RunAt(100));
        s.Notify("S", "S1", 1, 10, "failed");
        Assert.Empty(s.RunAt(101));

        s.Pending("S", "S2", 2, etaSeconds: 105);
        Assert.Empty(s.RunAt(102));
        Assert.Equal(0, s.WakeUp());

        s.Pending("S", "S1", 1);
        Assert.Equal(105, s.WakeUp());
        Assert.Equal(["S1"], s.RunAt(102));
        Assert.Empty(s.RunAt(103));

        s.Notify("S", "S1", 1, 10, "done");
        Assert.Empty(s.RunAt(103));
        Assert.Equal(["S2"], s.RunAt(105));

        s.Notify("S", "S2", 2, 10, "done");
        Assert.Equal(["S3"], s.RunAt(105));
        s.Notify("S", "S3", 3, 10, "done");
        Assert.Empty(s.RunAt(105));
    }

    [Fact]
    public void Channel_counts_read_like_oca_channel_descriptions()
    {
        var s = new SchedulerFixture("root:4,A:2");
        s.Pending("A", "A1", 1);
        s.Pending("A", "A2", 2);
        s.Pending("A", "A3", 3);
        s.RunAt(0);

        var counts = s.Scheduler.CountChannels();

        Assert.Equal(["root(C:4,Q:0,R:2,F:0)", "root.A(C:2,Q:1,R:2,F:0)"], counts.Select(c => c.ToString()));
    }
}

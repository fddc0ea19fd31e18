using Microsoft.Extensions.Time.Testing;
using QueueExporter.Runner.Channels;
using Xunit;

namespace QueueExporter.Tests.Runner;

public class PartitionedSchedulerTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static JobFacts Pending(string database, string uuid, int id, string channel = "root") =>
        new(database, uuid, "pending", channel, 10, Now, id, null);

    [Fact]
    public void Each_database_gets_the_whole_capacity_of_its_channels()
    {
        var scheduler = new PartitionedScheduler(ChannelConfigurationParser.Parse("root:2"), new FakeTimeProvider(Now));
        for (var i = 0; i < 5; i++)
        {
            scheduler.Upsert(Pending("a", $"a{i}", i));
            scheduler.Upsert(Pending("b", $"b{i}", i));
        }

        var taken = scheduler.TakeRunnable();

        Assert.Equal(2, taken.Count(j => j.Database == "a"));
        Assert.Equal(2, taken.Count(j => j.Database == "b"));
        Assert.Empty(scheduler.TakeRunnable());
    }

    [Fact]
    public void The_runner_scope_counts_the_same_capacity_across_databases()
    {
        var scheduler = new JobScheduler(ChannelConfigurationParser.Parse("root:2"), new FakeTimeProvider(Now));
        for (var i = 0; i < 5; i++)
        {
            scheduler.Upsert(Pending("a", $"a{i}", i));
            scheduler.Upsert(Pending("b", $"b{i}", i));
        }

        Assert.Equal(2, scheduler.TakeRunnable().Count);
    }

    [Fact]
    public void Per_server_the_databases_of_one_server_share_its_capacity_and_other_servers_have_their_own()
    {
        // Keys as the runner names databases on several servers: name@server.
        var scheduler = new PartitionedScheduler(ChannelConfigurationParser.Parse("root:2"), new FakeTimeProvider(Now), key => key[(key.IndexOf('@', StringComparison.Ordinal) + 1)..]);
        foreach (var database in new[] { "shop@pg1:5432", "crm@pg1:5432", "shop@pg2:5432" })
        {
            for (var i = 0; i < 5; i++)
            {
                scheduler.Upsert(Pending(database, $"{database}/{i}", i));
            }
        }

        var taken = scheduler.TakeRunnable();

        Assert.Equal(2, taken.Count(j => j.Database.EndsWith("@pg1:5432", StringComparison.Ordinal)));
        Assert.Equal(2, taken.Count(j => j.Database == "shop@pg2:5432"));
        Assert.Equal(15, scheduler.JobCount);

        // Forgetting one database of a shared partition frees its running slots for the server's other database.
        var crmRunning = taken.Count(j => j.Database == "crm@pg1:5432");
        scheduler.ForgetDatabase("crm@pg1:5432");
        Assert.Equal(10, scheduler.JobCount);
        var next = scheduler.TakeRunnable();
        Assert.Equal(crmRunning, next.Count(j => j.Database == "shop@pg1:5432"));
        Assert.DoesNotContain(next, j => j.Database == "crm@pg1:5432" || j.Database == "shop@pg2:5432");
    }

    [Fact]
    public void A_bounded_pick_goes_round_the_databases_so_none_starves()
    {
        var scheduler = new PartitionedScheduler(ChannelConfigurationParser.Parse("root:0"), new FakeTimeProvider(Now));
        foreach (var database in new[] { "a", "b", "c" })
        {
            for (var i = 0; i < 10; i++)
            {
                scheduler.Upsert(Pending(database, $"{database}{i}", i));
            }
        }

        var first = scheduler.TakeRunnable(10);
        var second = scheduler.TakeRunnable(10);
        var third = scheduler.TakeRunnable(10);

        Assert.Equal(["a"], first.Select(j => j.Database).Distinct());
        Assert.Equal(["b"], second.Select(j => j.Database).Distinct());
        Assert.Equal(["c"], third.Select(j => j.Database).Distinct());
    }

    [Fact]
    public void Forgetting_a_database_frees_its_capacity_and_its_jobs_only()
    {
        var scheduler = new PartitionedScheduler(ChannelConfigurationParser.Parse("root:1"), new FakeTimeProvider(Now));
        scheduler.Upsert(Pending("a", "a1", 1));
        scheduler.Upsert(Pending("a", "a2", 2));
        scheduler.Upsert(Pending("b", "b1", 1));
        Assert.Equal(2, scheduler.TakeRunnable().Count);

        scheduler.ForgetDatabase("a");
        scheduler.Upsert(Pending("a", "a2", 2));

        Assert.Equal(["a2"], scheduler.TakeRunnable().Select(j => j.Uuid));
        Assert.Equal(2, scheduler.JobCount);
        Assert.True(scheduler.Remove("b", "b1"));
        Assert.False(scheduler.Remove("b", "b1"));
        Assert.Equal(1, scheduler.JobCount);
    }

    [Fact]
    public void Channel_counts_are_summed_over_databases_with_the_configured_capacity()
    {
        var scheduler = new PartitionedScheduler(ChannelConfigurationParser.Parse("root:1,mail:3"), new FakeTimeProvider(Now));
        Assert.Equal(["root(C:1,Q:0,R:0,F:0)", "root.mail(C:3,Q:0,R:0,F:0)"], scheduler.CountChannels().Select(c => c.ToString()));

        scheduler.Upsert(Pending("a", "a1", 1));
        scheduler.Upsert(Pending("a", "a2", 2));
        scheduler.Upsert(Pending("b", "b1", 1));
        scheduler.TakeRunnable();

        var root = scheduler.CountChannels().Single(c => c.Channel == "root");
        Assert.Equal((1, 2, 1), (root.Capacity, root.Running, root.Queued));
    }

    [Fact]
    public void The_next_wake_up_is_the_earliest_of_any_database()
    {
        var clock = new FakeTimeProvider(Now);
        var scheduler = new PartitionedScheduler(ChannelConfigurationParser.Parse("root:1"), clock);
        Assert.Null(scheduler.NextWakeUp());

        scheduler.Upsert(new JobFacts("a", "a1", "pending", "root", 10, Now, 1, Now.AddSeconds(30)));
        scheduler.Upsert(new JobFacts("b", "b1", "pending", "root", 10, Now, 1, Now.AddSeconds(10)));

        Assert.Equal(Now.AddSeconds(10), scheduler.NextWakeUp());
    }
}

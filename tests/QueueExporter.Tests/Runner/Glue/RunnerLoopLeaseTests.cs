using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using QueueExporter.Runner;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>The loop applies facts of a database's current lease only: every interleaving of leases and reads, deterministically.</summary>
public class RunnerLoopLeaseTests
{
    private const string Db = "db";
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly JobScheduler _scheduler = new(ChannelConfigurationParser.Parse("root:4"), new FakeTimeProvider(Now));
    private readonly RunnerLoop _loop;

    public RunnerLoopLeaseTests()
    {
        var metrics = new RunnerMetrics(Metrics.NewCustomRegistry());
        var dispatcher = new Dispatcher(_ => null, db => new DatabaseAddress("pg:5432", db, db), metrics, TimeProvider.System, NullLogger.Instance, TimeSpan.FromSeconds(1));
        _loop = new RunnerLoop(_scheduler, dispatcher, metrics, TimeProvider.System, NullLogger.Instance, 100);
    }

    private static JobFacts Fact(string uuid, string state = "pending") => new(Db, uuid, state, "root", 10, Now, 1, null);

    /// <summary>A full read as the database's reader posts it: its start, then one slice.</summary>
    private void Load(long epoch, params JobFacts[] facts)
    {
        _loop.Apply(new DatabaseLoading(Db, epoch));
        _loop.Apply(new JobsLoaded(Db, epoch, [.. facts.Select(LoadedJobs.Of)]));
    }

    [Fact]
    public void A_load_that_finishes_after_its_lease_ended_brings_nothing_back()
    {
        _loop.Apply(new LeaseStarted(Db, 1));
        _loop.Apply(new DatabaseReleased(Db, 1));
        Load(1, Fact("a"));
        _loop.Apply(new JobsChanged(Db, 1, [Fact("b")], []));

        Assert.Equal(0, _scheduler.JobCount);
        Assert.Empty(_scheduler.TakeRunnable());
    }

    [Fact]
    public void Facts_of_an_earlier_lease_are_dropped_once_a_new_one_started()
    {
        _loop.Apply(new LeaseStarted(Db, 1));
        Load(1, Fact("old", "started"));
        _loop.Apply(new LeaseStarted(Db, 2));
        _loop.Apply(new JobsChanged(Db, 1, [Fact("stale")], []));
        Load(2, Fact("fresh"));

        Assert.Equal(["fresh"], _scheduler.TakeRunnable().Select(j => j.Uuid));
        Assert.Equal(1, _scheduler.JobCount);
    }

    [Fact]
    public void Facts_before_any_lease_are_dropped()
    {
        Load(7, Fact("a"));

        Assert.Equal(0, _scheduler.JobCount);
    }

    [Fact]
    public void Losing_the_lease_frees_the_slots_of_the_jobs_it_held_at_once()
    {
        _loop.Apply(new LeaseStarted(Db, 1));
        Load(1, Fact("r1", "started"), Fact("r2", "enqueued"), Fact("r3", "started"), Fact("r4", "started"));
        Assert.Empty(_scheduler.TakeRunnable());

        _loop.Apply(new DatabaseReleased(Db, 1));
        _loop.Apply(new LeaseStarted(Db, 2));
        Load(2, Fact("next"));

        Assert.Equal(["next"], _scheduler.TakeRunnable().Select(j => j.Uuid));
    }

    [Fact]
    public void A_release_of_an_earlier_lease_does_not_end_the_current_one()
    {
        _loop.Apply(new LeaseStarted(Db, 1));
        _loop.Apply(new LeaseStarted(Db, 2));
        Load(2, Fact("a"));
        _loop.Apply(new DatabaseReleased(Db, 1));

        Assert.Equal(["a"], _scheduler.TakeRunnable().Select(j => j.Uuid));
    }

    [Fact]
    public void A_new_load_replaces_what_the_previous_one_gave()
    {
        _loop.Apply(new LeaseStarted(Db, 1));
        Load(1, Fact("gone", "started"), Fact("kept"));
        Load(1, Fact("kept"));

        Assert.Equal(1, _scheduler.JobCount);
        Assert.Equal(["kept"], _scheduler.TakeRunnable().Select(j => j.Uuid));
    }

    [Fact]
    public void Jobs_of_the_first_slice_can_start_before_the_rest_of_the_load_is_read()
    {
        _loop.Apply(new LeaseStarted(Db, 1));
        _loop.Apply(new DatabaseLoading(Db, 1));
        _loop.Apply(new JobsLoaded(Db, 1, [LoadedJobs.Of(Fact("first"))]));

        Assert.Equal(["first"], _scheduler.TakeRunnable().Select(j => j.Uuid));

        _loop.Apply(new JobsLoaded(Db, 1, [LoadedJobs.Of(Fact("second")), LoadedJobs.Of(Fact("third"))]));
        Assert.Equal(3, _scheduler.JobCount);
    }

    [Fact]
    public async Task A_slice_returns_its_credit_whether_applied_or_dropped_as_stale()
    {
        var credits = new QueueExporter.Runner.Database.SliceCredits(1);
        _loop.Apply(new LeaseStarted(Db, 2));

        await credits.TakeAsync(CancellationToken.None);
        _loop.Apply(new JobsLoaded(Db, 1, [LoadedJobs.Of(Fact("stale"))], credits));
        Assert.True(credits.TakeAsync(CancellationToken.None).IsCompletedSuccessfully, "a dropped slice gave its credit back");

        _loop.Apply(new JobsLoaded(Db, 2, [LoadedJobs.Of(Fact("fresh"))], credits));
        Assert.True(credits.TakeAsync(CancellationToken.None).IsCompletedSuccessfully, "an applied slice gave its credit back");
        Assert.Equal(1, _scheduler.JobCount);
    }
}

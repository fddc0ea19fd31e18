using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using QueueExporter.Runner;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>The dispatcher under each lease interleaving, with a fake store: no PostgreSQL, no timing.</summary>
public class DispatcherLeaseTests
{
    private const string Db = "db";
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Nothing listens on port 9 of loopback: a runjob call there fails at once as a connection error.
    private static readonly Uri UnreachableWorker = new("http://127.0.0.1:9");

    private static Lease LeaseOf(long epoch) => new(Db, epoch, 4242, 0x5EED);

    private static RunnableJob Job(string uuid) => new(Db, uuid, "root", Now);

    private static Dispatcher DispatcherFor(FakeDispatchTarget target) =>
        new(db => db == Db ? target : null, db => new DatabaseAddress("pg:5432", db, db), new RunnerMetrics(Metrics.NewCustomRegistry()),
            TimeProvider.System, NullLogger.Instance, TimeSpan.FromMilliseconds(1));

    [Fact]
    public async Task A_slice_chosen_under_an_earlier_lease_is_never_written()
    {
        var target = new FakeDispatchTarget(LeaseOf(2));
        var dispatcher = DispatcherFor(target);

        dispatcher.Dispatch([Job("a"), Job("b")], new Dictionary<string, long> { [Db] = 1 });
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(target.FakeStore.Calls);
        Assert.Empty(target.Requests);
    }

    [Fact]
    public async Task A_slice_for_a_database_no_longer_led_is_never_written()
    {
        var target = new FakeDispatchTarget(lease: null);
        var dispatcher = DispatcherFor(target);

        dispatcher.Dispatch([Job("a")], new Dictionary<string, long> { [Db] = 1 });
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(target.FakeStore.Calls);
    }

    [Fact]
    public async Task When_the_fence_refuses_every_job_the_lease_is_ended_instead_of_re_reading_them()
    {
        var target = new FakeDispatchTarget(LeaseOf(3));
        target.FakeStore.Moves = _ => [];
        target.FakeStore.LeaseHeld = false;
        var dispatcher = DispatcherFor(target);

        dispatcher.Dispatch([Job("a"), Job("b")], new Dictionary<string, long> { [Db] = 3 });
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["mark epoch 3: a,b", "lease? epoch 3"], target.FakeStore.Calls);
        Assert.Equal(["lease lost 3"], target.Requests);
    }

    [Fact]
    public async Task Jobs_someone_else_moved_go_back_as_a_re_read_request_never_as_facts()
    {
        var target = new FakeDispatchTarget(LeaseOf(4));
        target.FakeStore.Moves = _ => [];
        var dispatcher = DispatcherFor(target);

        dispatcher.Dispatch([Job("a"), Job("b")], new Dictionary<string, long> { [Db] = 4 });
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["reread a,b"], target.Requests);
    }

    [Fact]
    public async Task A_job_the_worker_never_received_is_reset_under_the_lease_it_was_dispatched_with()
    {
        var target = new FakeDispatchTarget(LeaseOf(5));
        target.FakeStore.Moves = uuids => [.. uuids.Where(u => u == "a")];
        var dispatcher = DispatcherFor(target);

        dispatcher.Dispatch([Job("a"), Job("b")], new Dictionary<string, long> { [Db] = 5 });
        var (lease, uuid) = await target.FakeStore.Reset.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((5L, "a"), (lease.Epoch, uuid));
        Assert.Equal(["reread b"], target.Requests);
    }

    [Fact]
    public async Task The_enqueue_update_expects_the_echoes_of_the_jobs_it_moved_and_of_no_other_and_its_own_reset_is_read_at_once()
    {
        var target = new FakeDispatchTarget(LeaseOf(6));
        target.Echoes.BeginLease(6);
        var deferrable = new List<string>();
        IReadOnlyCollection<string>? echoed = null;
        target.FakeStore.Moves = uuids =>
        {
            // The UPDATE's notification of "a", the one job it moves, as the listener hands it over after the commit.
            echoed = target.Echoes.WithoutEchoes(6, ["a"], deferrable);
            return [.. uuids.Where(u => u == "a")];
        };
        var dispatcher = DispatcherFor(target);

        dispatcher.Dispatch([Job("a"), Job("b")], new Dictionary<string, long> { [Db] = 6 });
        await target.FakeStore.Reset.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(10));

        // Expected before the UPDATE was sent: skipped. "b" did not move, and its expectation was withdrawn.
        Assert.Empty(echoed!);
        Assert.Equal(0, target.Echoes.Count);

        // The worker was unreachable and "a" was put back to pending: that notification is read at once, not deferred.
        Assert.Equal(["a", "b"], target.Echoes.WithoutEchoes(6, ["a", "b"], deferrable));
        Assert.Empty(deferrable);
    }

    [Fact]
    public async Task Jobs_of_several_databases_are_written_one_slice_per_database()
    {
        var first = new FakeDispatchTarget(new Lease("one", 1, 4242, 0x5EED));
        var second = new FakeDispatchTarget(new Lease("two", 2, 4243, 0x5EED));
        var dispatcher = new Dispatcher(
            db => db == "one" ? first : db == "two" ? second : null,
            db => new DatabaseAddress("pg:5432", db, db),
            new RunnerMetrics(Metrics.NewCustomRegistry()),
            TimeProvider.System,
            NullLogger.Instance,
            TimeSpan.FromMilliseconds(1));
        first.FakeStore.Moves = _ => [];
        second.FakeStore.Moves = _ => [];

        dispatcher.Dispatch(
            [new RunnableJob("one", "a", "root", Now), new RunnableJob("two", "b", "root", Now), new RunnableJob("one", "c", "root", Now)],
            new Dictionary<string, long> { ["one"] = 1, ["two"] = 2 });
        await dispatcher.DrainAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["mark epoch 1: a,c"], first.FakeStore.Calls.Where(c => c.StartsWith("mark", StringComparison.Ordinal)));
        Assert.Equal(["mark epoch 2: b"], second.FakeStore.Calls.Where(c => c.StartsWith("mark", StringComparison.Ordinal)));
    }
}

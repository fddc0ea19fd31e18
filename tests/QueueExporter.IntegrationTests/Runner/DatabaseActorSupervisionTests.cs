using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.Runner;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Rescue;
using QueueExporter.Runner.Servers;
using QueueExporter.TestSupport;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>
/// A database actor whose work throws something nobody expected: the failure ends its session (and so
/// its lease: a standby could lead), shows in its health and metrics, and a new session takes over.
/// </summary>
public class DatabaseActorSupervisionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task An_unexpected_exception_ends_the_lease_and_the_actor_restarts_under_a_new_one()
    {
        await using var db = await CreateDatabaseAsync();
        var job = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        var options = new RunnerOptions
        {
            Endpoint = db.Endpoint,
            Databases = [db.Name],
            MaxRestartDelay = TimeSpan.FromMilliseconds(200),
            StandbyRetryInterval = TimeSpan.FromMilliseconds(200),
            ApplicationName = "qe-actor-test",
        };
        options.Validate();
        var registry = Metrics.NewCustomRegistry();
        var server = options.Servers[0];
        var address = DatabaseAddress.Of(server, db.Name, severalServers: false);
        var store = new FailingFirstLoadStore(new PostgresRunnerStore(address, server, options, new ConnectionBudget(4), TimeProvider.System));
        var signals = Channel.CreateUnbounded<RunnerSignal>();
        using var worker = new WorkerClient(server.WorkerUrl, null, null, TimeSpan.FromSeconds(1));
        var actor = new DatabaseActor(address, server, worker, options, store, signals.Writer, new RunnerMetrics(registry), TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = actor.RunAsync(stop.Token);

        var seen = new List<RunnerSignal>();
        await Eventually.UntilAsync(
            () =>
            {
                while (signals.Reader.TryRead(out var signal))
                {
                    seen.Add(signal);
                }

                return seen.OfType<JobsLoaded>().Any();
            },
            Patience,
            "a load is posted after the restart");
        await stop.CancelAsync();
        await running;
        await actor.DisposeAsync();

        var first = Assert.IsType<LeaseStarted>(seen[0]);
        Assert.Equal(new DatabaseReleased(db.Name, first.Epoch), seen[1]);
        var second = Assert.IsType<LeaseStarted>(seen[2]);
        Assert.True(second.Epoch > first.Epoch);
        Assert.Equal(new DatabaseLoading(db.Name, second.Epoch), seen[3]);
        var loaded = Assert.IsType<JobsLoaded>(seen[4]);
        Assert.Equal(second.Epoch, loaded.Epoch);
        Assert.Equal([job], loaded.Jobs.Select(j => j.UuidString));
        using var text = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(text);
        Assert.Contains($"queue_runner_database_restarts_total{{server=\"{db.ServerLabel}\",database=\"{db.Name}\"}} 1", System.Text.Encoding.UTF8.GetString(text.ToArray()), StringComparison.Ordinal);
    }

    /// <summary>The real store, except that its first load throws an exception no catch filter expects.</summary>
    private sealed class FailingFirstLoadStore(IRunnerStore inner) : IRunnerStore
    {
        private int _loads;

        public Task LoadActiveAsync(Npgsql.NpgsqlConnection? session, IJobLoadSink sink, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _loads) == 1 ? throw new ArithmeticException("a bug nobody expected") : inner.LoadActiveAsync(session, sink, cancellationToken);

        public Task<JobRows> ReadByUuidsAsync(IReadOnlyCollection<string> uuids, CancellationToken cancellationToken) => inner.ReadByUuidsAsync(uuids, cancellationToken);

        public Task<IReadOnlyList<RescuedJob>> RescueAsync(Lease lease, Npgsql.NpgsqlConnection? session, CancellationToken cancellationToken) => inner.RescueAsync(lease, session, cancellationToken);

        public Task<HashSet<string>> MarkEnqueuedAsync(Lease lease, IReadOnlyCollection<string> uuids, DateTimeOffset now, CancellationToken cancellationToken) =>
            inner.MarkEnqueuedAsync(lease, uuids, now, cancellationToken);

        public Task<bool> IsLeaseHeldAsync(Lease lease, CancellationToken cancellationToken) => inner.IsLeaseHeldAsync(lease, cancellationToken);

        public Task<bool> ResetToPendingAsync(Lease lease, string uuid, CancellationToken cancellationToken) => inner.ResetToPendingAsync(lease, uuid, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Prometheus;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.Runner;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>
/// A load on a pooled connection holds it for the whole read, and the first dispatch goes out from the load's
/// first slice: the consumer opens the dispatch's connection while the load reads, and a failure to open it
/// changes nothing about the load.
/// </summary>
public class LoadWarmUpTests
{
    private const string Db = "db";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_load_on_a_pooled_connection_opens_a_second_connection_while_it_reads()
    {
        // The load does not finish until the warm-up has started: a warm-up sent only after the load would never come.
        var store = WarmUpStore(warmUp: null);

        var signals = await ConsumeOneLoadAsync(store);

        // Without the warm-up the load times out and is abandoned: a second DatabaseLoading instead of the slice.
        Assert.Equal(2, signals.Count);
        Assert.Equal(new DatabaseLoading(Db, 3), signals[0]);
        Assert.IsType<JobsLoaded>(signals[1]);
    }

    [Fact]
    public async Task A_warm_up_that_fails_leaves_the_load_whole()
    {
        var store = WarmUpStore(warmUp: new NpgsqlException("connection refused"));

        var signals = await ConsumeOneLoadAsync(store);

        Assert.Equal(2, signals.Count);
        Assert.Equal(new DatabaseLoading(Db, 3), signals[0]);
        Assert.Equal(["first"], Assert.IsType<JobsLoaded>(signals[1]).Jobs.Select(j => j.UuidString));
    }

    private static async Task<List<RunnerSignal>> ConsumeOneLoadAsync(FakeRunnerStore store)
    {
        var inbox = Channel.CreateUnbounded<DatabaseRequest>();
        var loop = Channel.CreateUnbounded<RunnerSignal>();
        var consumer = new DatabaseRequestConsumer(
            new DatabaseAddress("127.0.0.1:9", Db, Db), DatabaseEndpoint.Parse("postgres://runner@127.0.0.1:9/db"), store, inbox, loop.Writer, new RunnerMetrics(Metrics.NewCustomRegistry()), TimeProvider.System, NullLogger.Instance);
        var listener = new QueueJobListener(new QueueJobListenerOptions { ConnectionString = "Host=127.0.0.1;Port=9;Database=db", Name = Db });
        var lease = new Lease(Db, 3, 4242, 0x5EED);
        inbox.Writer.TryWrite(ResyncRequest.Now);
        inbox.Writer.Complete();

        await consumer.ConsumeAsync(listener, () => lease, CancellationToken.None).WaitAsync(Patience);
        loop.Writer.Complete();
        var signals = new List<RunnerSignal>();
        await foreach (var signal in loop.Reader.ReadAllAsync())
        {
            signals.Add(signal);
        }

        return signals;
    }

    /// <summary>A store whose load waits for the warm-up to have been asked for; the warm-up throws <paramref name="warmUp"/> when given.</summary>
    private static FakeRunnerStore WarmUpStore(Exception? warmUp)
    {
        var warmedUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new FakeRunnerStore
        {
            WarmUp = () =>
            {
                warmedUp.TrySetResult();
                return warmUp is null ? Task.CompletedTask : Task.FromException(warmUp);
            },
            Load = async (sink, cancellationToken) =>
            {
                await sink.StartAsync(cancellationToken);
                await warmedUp.Task.WaitAsync(Patience, cancellationToken);
                await sink.AddAsync(new LoadSlice([LoadedJobs.Of(new JobFacts(Db, "first", "pending", "root", 10, DateTimeOffset.UnixEpoch, 1, null))], []), cancellationToken);
            },
        };
    }
}

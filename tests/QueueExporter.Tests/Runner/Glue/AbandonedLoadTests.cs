using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
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
/// A load the reader stopped waiting for (it failed, or its bounded wait for the listening session ran out
/// while the read went on there) reaches the loop no further: the part already sent is replaced by nothing,
/// and a slice the read still produces afterwards stops the read instead of arriving after that.
/// </summary>
public class AbandonedLoadTests
{
    private const string Db = "db";
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_load_that_broke_off_part_way_leaves_nothing_and_sends_nothing_more()
    {
        // Sends the start and one slice, then breaks as a lost connection would; keeps the sink, as a read still running would.
        IJobLoadSink? kept = null;
        var store = new FakeRunnerStore
        {
            Load = async (sink, cancellationToken) =>
            {
                kept = sink;
                await sink.StartAsync(cancellationToken);
                await sink.AddAsync(new LoadSlice([LoadedJobs.Of(Fact("first"))], []), cancellationToken);
                throw new TimeoutException("the read stopped answering");
            },
        };
        var inbox = Channel.CreateUnbounded<DatabaseRequest>();
        var loop = Channel.CreateUnbounded<RunnerSignal>();
        var consumer = new DatabaseRequestConsumer(
            new DatabaseAddress("127.0.0.1:9", Db, Db), DatabaseEndpoint.Parse("postgres://runner@127.0.0.1:9/db"), store, inbox, loop.Writer, new RunnerMetrics(Metrics.NewCustomRegistry()), TimeProvider.System, NullLogger.Instance);
        var listener = new QueueJobListener(new QueueJobListenerOptions { ConnectionString = "Host=127.0.0.1;Port=9;Database=db", Name = Db });
        var lease = new Lease(Db, 3, 4242, 0x5EED);
        inbox.Writer.TryWrite(ResyncRequest.Now);
        inbox.Writer.Complete();

        await consumer.ConsumeAsync(listener, () => lease, CancellationToken.None);
        var late = kept!.AddAsync(new LoadSlice([LoadedJobs.Of(Fact("late"))], []), CancellationToken.None);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await late);
        loop.Writer.Complete();
        var signals = new List<RunnerSignal>();
        await foreach (var signal in loop.Reader.ReadAllAsync())
        {
            signals.Add(signal);
        }

        Assert.Equal(3, signals.Count);
        Assert.Equal(new DatabaseLoading(Db, 3), signals[0]);
        Assert.Equal(["first"], Assert.IsType<JobsLoaded>(signals[1]).Jobs.Select(j => j.UuidString));
        Assert.Equal(new DatabaseLoading(Db, 3), signals[2]);
    }

    private static JobFacts Fact(string uuid) => new(Db, uuid, "pending", "root", 10, Now, 1, null);
}

using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.Runner;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>
/// The database's reader with the runner's own enqueue echoes, on a clock the test moves: a dispatched job's
/// "started" waits for its "done" and both are read in one statement; a "started" alone is read once the
/// delay is over, woken by the reader's own timer; anyone else's job is read at once. Each step is ordered
/// by the inbox itself: a probe re-read posted after the notifications is served after them.
/// </summary>
public sealed class StartedReadDeferralTests : IAsyncDisposable
{
    private const string Db = "db";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeRunnerStore _store = new();
    private readonly Channel<DatabaseRequest> _inbox = Channel.CreateUnbounded<DatabaseRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<RunnerSignal> _loop = Channel.CreateUnbounded<RunnerSignal>();
    private readonly Lease _lease = new(Db, 3, 4242, 0x5EED);
    private readonly CancellationTokenSource _stop = new();
    private readonly DatabaseRequestConsumer _consumer;
    private readonly Task _consuming;

    public StartedReadDeferralTests()
    {
        _consumer = new DatabaseRequestConsumer(
            new DatabaseAddress("127.0.0.1:9", Db, Db), DatabaseEndpoint.Parse("postgres://runner@127.0.0.1:9/db"), _store, _inbox, _loop.Writer, new RunnerMetrics(Metrics.NewCustomRegistry()), _time, NullLogger.Instance);
        var listener = new QueueJobListener(new QueueJobListenerOptions { ConnectionString = "Host=127.0.0.1;Port=9;Database=db", Name = Db });
        _consumer.Echoes.BeginLease(_lease.Epoch);
        _consuming = _consumer.ConsumeAsync(listener, () => _lease, _stop.Token);
    }

    [Fact]
    public async Task A_short_jobs_started_and_done_are_read_in_one_statement()
    {
        _consumer.Echoes.Expect(_lease.Epoch, ["a"]);
        Notify("a");
        Notify("a");

        Assert.Equal("reread probe", await ProbeAsync());

        Notify("a");
        Assert.Equal("reread a", await NextReadAsync());
        Assert.Equal(0, _consumer.DeferredCount);

        // Nothing of "a" is left to wake up for.
        _time.Advance(DatabaseRequestConsumer.StartedReadDelay * 2);
        Assert.Equal("reread probe", await ProbeAsync());
    }

    [Fact]
    public async Task A_started_with_nothing_after_it_is_read_once_the_delay_is_over()
    {
        _consumer.Echoes.Expect(_lease.Epoch, ["a"]);
        Notify("a");
        Notify("a");
        Assert.Equal("reread probe", await ProbeAsync());

        _time.Advance(DatabaseRequestConsumer.StartedReadDelay - TimeSpan.FromMilliseconds(100));
        Assert.Equal("reread probe", await ProbeAsync());

        _time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal("reread a", await NextReadAsync());
        Assert.Equal(0, _consumer.DeferredCount);
    }

    [Fact]
    public async Task A_job_the_runner_did_not_dispatch_is_read_at_once()
    {
        Notify("b");

        Assert.Equal("reread b", await NextReadAsync());
    }

    [Fact]
    public async Task A_deferred_job_is_read_along_with_any_read_once_due()
    {
        _consumer.Echoes.Expect(_lease.Epoch, ["a"]);
        Notify("a");
        Notify("a");
        Assert.Equal("reread probe", await ProbeAsync());

        // The wake-up timer and a notification race for it; either way "a" is read exactly once.
        _time.Advance(DatabaseRequestConsumer.StartedReadDelay);
        Notify("b");
        var reads = new List<string> { await NextReadAsync() };
        if (reads[0] != "reread a,b")
        {
            reads.Add(await NextReadAsync());
        }

        Assert.Equal(["a", "b"], reads.SelectMany(r => r["reread ".Length..].Split(',')).Order(StringComparer.Ordinal));
        Assert.Equal("reread probe", await ProbeAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _consuming.WaitAsync(Patience));
        _stop.Dispose();
    }

    private void Notify(string uuid) => _inbox.Writer.TryWrite(new RereadRequest([uuid], Notified: true));

    /// <summary>A re-read of a job nobody defers, posted behind everything before it: its read is the next one unless something else was read first.</summary>
    private async Task<string> ProbeAsync()
    {
        _inbox.Writer.TryWrite(new RereadRequest(["probe"]));
        return await NextReadAsync();
    }

    private async Task<string> NextReadAsync() => await _store.Rereads.Reader.ReadAsync().AsTask().WaitAsync(Patience);
}

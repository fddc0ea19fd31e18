using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner;
using QueueExporter.Runner.Database;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Servers;

namespace QueueExporter.Tests.Runner.Glue;

/// <summary>
/// The database's reader with the runner's own enqueue echoes, on a clock the test moves. A dispatched job's
/// first notification after the echo waits only once a read has shown that workers write "started"; then it
/// rides along with any other read, or with the job's "done", or is read on its own once its delay is over; and
/// a job found finished after its whole wait turns the waiting off. Every step is ordered by the inbox itself:
/// <see cref="BarrierAsync"/> posts a reload behind everything before it and waits until the reader serves it.
/// </summary>
public sealed class RereadDeferralTests : IAsyncDisposable
{
    private const string Db = "db";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Delay = DatabaseRequestConsumer.StartedReadDelay;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeRunnerStore _store = new();
    private readonly Channel<int> _loads = Channel.CreateUnbounded<int>();
    private readonly Channel<DatabaseRequest> _inbox = Channel.CreateUnbounded<DatabaseRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<RunnerSignal> _loop = Channel.CreateUnbounded<RunnerSignal>();
    private readonly Lease _lease = new(Db, 3, 4242, 0x5EED);
    private readonly CancellationTokenSource _stop = new();
    private readonly DatabaseRequestConsumer _consumer;
    private readonly Task _consuming;

    public RereadDeferralTests()
    {
        _store.Load = (_, _) =>
        {
            _loads.Writer.TryWrite(1);
            return Task.CompletedTask;
        };
        _consumer = new DatabaseRequestConsumer(
            new DatabaseAddress("127.0.0.1:9", Db, Db), DatabaseEndpoint.Parse("postgres://runner@127.0.0.1:9/db"), _store, _inbox, _loop.Writer, new RunnerMetrics(Metrics.NewCustomRegistry()), _time, NullLogger.Instance);
        var listener = new QueueJobListener(new QueueJobListenerOptions { ConnectionString = "Host=127.0.0.1;Port=9;Database=db", Name = Db });
        _consumer.Echoes.BeginLease(_lease.Epoch);
        _consuming = _consumer.ConsumeAsync(listener, () => _lease, _stop.Token);
    }

    [Fact]
    public async Task Until_a_read_shows_a_started_job_a_dispatched_jobs_next_notification_is_read_at_once()
    {
        // The burst benchmark's stand-in worker: it sets jobs done without a "started".
        _store.States["a"] = JobStates.Done;
        _consumer.Echoes.Expect(_lease.Epoch, ["a"]);
        Notify("a");
        Notify("a");

        Assert.Equal("reread a", await NextReadAsync());
        await AssertNoReadAsync();
    }

    [Fact]
    public async Task A_short_jobs_started_and_done_are_read_in_one_statement()
    {
        await TurnOnAsync();
        _store.States["a"] = JobStates.Done;
        _consumer.Echoes.Expect(_lease.Epoch, ["a"]);
        Notify("a");
        Notify("a");
        Notify("a");

        Assert.Equal("reread a", await NextReadAsync());

        // Nothing of "a" is left to read later.
        _time.Advance(Delay * 2);
        await AssertNoReadAsync();
    }

    [Fact]
    public async Task A_started_with_nothing_after_it_is_read_once_its_delay_is_over()
    {
        await TurnOnAsync();
        await DispatchAndNotifyOnceAsync("a", JobStates.Started);
        Assert.Equal(1, _consumer.DeferredCount);

        _time.Advance(Delay - TimeSpan.FromMilliseconds(1));
        await AssertNoReadAsync();

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("reread a", await NextReadAsync());
        await AssertNoReadAsync();
        Assert.Equal(0, _consumer.DeferredCount);
    }

    [Fact]
    public async Task A_waiting_job_rides_along_with_the_next_read_of_another_job()
    {
        await TurnOnAsync();
        await DispatchAndNotifyOnceAsync("a", JobStates.Started);

        Notify("b");

        Assert.Equal("reread a,b", await NextReadAsync());
        Assert.Equal(0, _consumer.DeferredCount);
    }

    [Fact]
    public async Task A_job_found_finished_after_its_whole_wait_turns_the_wait_off_for_the_lease()
    {
        await TurnOnAsync();
        await DispatchAndNotifyOnceAsync("a", JobStates.Done);

        _time.Advance(Delay);
        Assert.Equal("reread a", await NextReadAsync());

        // The next dispatched job's notification is read at once, even after another read shows a started job.
        Notify("x");
        Assert.Equal("reread x", await NextReadAsync());
        _consumer.Echoes.Expect(_lease.Epoch, ["c"]);
        Notify("c");
        Notify("c");
        Assert.Equal("reread c", await NextReadAsync());
    }

    [Fact]
    public async Task A_job_the_runner_did_not_dispatch_is_read_at_once()
    {
        await TurnOnAsync();

        Notify("b");

        Assert.Equal("reread b", await NextReadAsync());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _consuming.WaitAsync(Patience));
        _stop.Dispose();
    }

    /// <summary>A read of someone else's job that finds it started: workers here write "started".</summary>
    private async Task TurnOnAsync()
    {
        _store.States["x"] = JobStates.Started;
        Notify("x");
        Assert.Equal("reread x", await NextReadAsync());
    }

    /// <summary>A job the runner dispatched, its echo and one notification after it (the row then in <paramref name="state"/>), all served with no read.</summary>
    private async Task DispatchAndNotifyOnceAsync(string uuid, string state)
    {
        _store.States[uuid] = state;
        _consumer.Echoes.Expect(_lease.Epoch, [uuid]);
        Notify(uuid);
        Notify(uuid);
        await AssertNoReadAsync();
    }

    private void Notify(string uuid) => _inbox.Writer.TryWrite(new RereadRequest([uuid], Notified: true));

    /// <summary>Waits until the reader has served everything posted before, then checks that none of it was a read.</summary>
    private async Task AssertNoReadAsync()
    {
        await BarrierAsync();
        Assert.False(_store.Rereads.Reader.TryRead(out var read), read);
    }

    private async Task BarrierAsync()
    {
        _inbox.Writer.TryWrite(ResyncRequest.Now);
        await _loads.Reader.ReadAsync().AsTask().WaitAsync(Patience);
    }

    private async Task<string> NextReadAsync() => await _store.Rereads.Reader.ReadAsync().AsTask().WaitAsync(Patience);
}

using QueueExporter.Runner.Database;
using QueueExporter.Runner.Leadership;
using Xunit;

namespace QueueExporter.Tests.Runner.Glue;

public class TrackedRunnerStoreTests
{
    private static readonly Lease Lease = new("db", 1, 42, 0x5EED);

    [Fact]
    public async Task It_is_idle_at_once_when_no_fenced_write_is_in_flight()
    {
        var store = new TrackedRunnerStore(new FakeRunnerStore());

        Assert.True(store.WhenIdleAsync().IsCompleted);
        await store.MarkEnqueuedAsync(Lease, ["u1"], DateTimeOffset.UnixEpoch, CancellationToken.None);
        Assert.True(store.WhenIdleAsync().IsCompleted);
    }

    [Fact]
    public async Task A_hand_over_waits_for_the_write_in_flight_and_no_longer()
    {
        var release = new TaskCompletionSource<HashSet<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new FakeRunnerStore();
        var store = new TrackedRunnerStore(new BlockingStore(inner, release.Task));

        var write = store.MarkEnqueuedAsync(Lease, ["u1"], DateTimeOffset.UnixEpoch, CancellationToken.None);
        var idle = store.WhenIdleAsync();

        Assert.Equal(1, store.WritesInFlight);
        Assert.False(idle.IsCompleted);
        release.SetResult(["u1"]);
        Assert.Equal(["u1"], await write);
        await idle;
        Assert.Equal(0, store.WritesInFlight);
    }

    [Fact]
    public async Task A_failed_write_still_counts_as_finished()
    {
        var release = new TaskCompletionSource<HashSet<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new TrackedRunnerStore(new BlockingStore(new FakeRunnerStore(), release.Task));

        var write = store.MarkEnqueuedAsync(Lease, ["u1"], DateTimeOffset.UnixEpoch, CancellationToken.None);
        var idle = store.WhenIdleAsync();
        release.SetException(new TimeoutException("the database did not answer"));

        await Assert.ThrowsAsync<TimeoutException>(() => write);
        await idle;
    }

    /// <summary>A store whose MarkEnqueued finishes when the test says so.</summary>
    private sealed class BlockingStore(IRunnerStore inner, Task<HashSet<string>> result) : IRunnerStore
    {
        public Task LoadActiveAsync(Npgsql.NpgsqlConnection? session, IJobLoadSink sink, CancellationToken cancellationToken) => inner.LoadActiveAsync(session, sink, cancellationToken);

        public Task<QueueExporter.Runner.Database.JobRows> ReadByUuidsAsync(IReadOnlyCollection<string> uuids, CancellationToken cancellationToken) => inner.ReadByUuidsAsync(uuids, cancellationToken);

        public Task<IReadOnlyList<QueueExporter.Runner.Rescue.RescuedJob>> RescueAsync(Lease lease, Npgsql.NpgsqlConnection? session, CancellationToken cancellationToken) => inner.RescueAsync(lease, session, cancellationToken);

        public Task<HashSet<string>> MarkEnqueuedAsync(Lease lease, IReadOnlyCollection<string> uuids, DateTimeOffset now, CancellationToken cancellationToken) => result;

        public Task<bool> IsLeaseHeldAsync(Lease lease, CancellationToken cancellationToken) => inner.IsLeaseHeldAsync(lease, cancellationToken);

        public Task<bool> ResetToPendingAsync(Lease lease, string uuid, CancellationToken cancellationToken) => inner.ResetToPendingAsync(lease, uuid, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

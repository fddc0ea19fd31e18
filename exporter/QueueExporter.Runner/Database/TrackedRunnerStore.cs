using Npgsql;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Rescue;

namespace QueueExporter.Runner.Database;

/// <summary>
/// Counts the fenced writes in flight on a store, so that an orderly hand-over can close the leader
/// session only after the writes it let start have finished. Safety does not depend on it (a write that
/// outlives the lease matches nothing, and the next leader waits on <see cref="LeaseFence.Barrier"/>);
/// it keeps a hand-over from throwing away dispatch decisions already being written.
/// </summary>
internal sealed class TrackedRunnerStore(IRunnerStore inner) : IRunnerStore
{
    private readonly object _gate = new();
    private int _inFlight;
    private TaskCompletionSource? _idle;

    /// <summary>Fenced writes started and not yet finished.</summary>
    public int WritesInFlight => Volatile.Read(ref _inFlight);

    /// <summary>Completes when no fenced write is in flight (at once when none is).</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            if (_inFlight == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    public Task LoadActiveAsync(NpgsqlConnection? session, IJobLoadSink sink, CancellationToken cancellationToken) => inner.LoadActiveAsync(session, sink, cancellationToken);

    public Task WarmUpAsync(CancellationToken cancellationToken) => inner.WarmUpAsync(cancellationToken);

    public Task<JobRows> ReadByUuidsAsync(IReadOnlyCollection<string> uuids, CancellationToken cancellationToken) => inner.ReadByUuidsAsync(uuids, cancellationToken);

    public Task<IReadOnlyList<RescuedJob>> RescueAsync(Lease lease, NpgsqlConnection? session, CancellationToken cancellationToken) =>
        TrackAsync(() => inner.RescueAsync(lease, session, cancellationToken));

    public Task<HashSet<string>> MarkEnqueuedAsync(Lease lease, IReadOnlyCollection<string> uuids, DateTimeOffset now, CancellationToken cancellationToken) =>
        TrackAsync(() => inner.MarkEnqueuedAsync(lease, uuids, now, cancellationToken));

    public Task<bool> IsLeaseHeldAsync(Lease lease, CancellationToken cancellationToken) => inner.IsLeaseHeldAsync(lease, cancellationToken);

    public Task<bool> ResetToPendingAsync(Lease lease, string uuid, CancellationToken cancellationToken) =>
        TrackAsync(() => inner.ResetToPendingAsync(lease, uuid, cancellationToken));

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private async Task<T> TrackAsync<T>(Func<Task<T>> write)
    {
        lock (_gate)
        {
            _inFlight++;
        }

        try
        {
            return await write();
        }
        finally
        {
            TaskCompletionSource? idle = null;
            lock (_gate)
            {
                if (--_inFlight == 0)
                {
                    idle = _idle;
                    _idle = null;
                }
            }

            idle?.TrySetResult();
        }
    }
}

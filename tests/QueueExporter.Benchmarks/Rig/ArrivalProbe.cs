using System.Collections.Concurrent;
using System.Diagnostics;

namespace QueueExporter.Benchmarks.Rig;

/// <summary>
/// Sits in front of the worker's runjob endpoint and records, by the same monotonic clock the
/// producers read after their commit, when each runjob request arrived and when its answer was ready
/// (the job's outcome is committed by then). Waiters get a signal instead of polling.
/// </summary>
internal sealed class ArrivalProbe
{
    private readonly ConcurrentDictionary<string, long> _arrivals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<long>> _waiters = new(StringComparer.Ordinal);
    private long _arrived;
    private long _completed;
    private long _firstArrival;
    private long _lastArrival;
    private TaskCompletionSource _countReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _countTarget = long.MaxValue;

    public long Arrived => Interlocked.Read(ref _arrived);

    /// <summary>Distinct jobs whose runjob request arrived (a job requeued and sent again counts once).</summary>
    public int DistinctArrived => _arrivals.Count;

    /// <summary>Runjob requests answered (the job's final state is committed).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    public long FirstArrival => Interlocked.Read(ref _firstArrival);

    public long LastArrival => Interlocked.Read(ref _lastArrival);

    /// <summary>Fires when <see cref="Completed"/> reaches at least <paramref name="count"/>.</summary>
    public Task CompletedAtLeastAsync(long count)
    {
        _countReached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _countTarget, count);
        if (Completed >= count)
        {
            _countReached.TrySetResult();
        }

        return _countReached.Task;
    }

    /// <summary>A task completing with the arrival timestamp of <paramref name="uuid"/>'s runjob request.</summary>
    public Task<long> ArrivalOfAsync(string uuid)
    {
        var waiter = _waiters.GetOrAdd(uuid, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (_arrivals.TryGetValue(uuid, out var at))
        {
            waiter.TrySetResult(at);
        }

        return waiter.Task;
    }

    public void Reset()
    {
        _arrivals.Clear();
        _waiters.Clear();
        Interlocked.Exchange(ref _arrived, 0);
        Interlocked.Exchange(ref _completed, 0);
        Interlocked.Exchange(ref _firstArrival, 0);
        Interlocked.Exchange(ref _lastArrival, 0);
        Interlocked.Exchange(ref _countTarget, long.MaxValue);
    }

    public void RecordArrival(string uuid)
    {
        var now = Stopwatch.GetTimestamp();
        if (_arrivals.TryAdd(uuid, now))
        {
            Interlocked.CompareExchange(ref _firstArrival, now, 0);
            Interlocked.Exchange(ref _lastArrival, now);
        }

        Interlocked.Increment(ref _arrived);
        if (_waiters.TryGetValue(uuid, out var waiter))
        {
            waiter.TrySetResult(now);
        }
    }

    public void RecordCompletion()
    {
        if (Interlocked.Increment(ref _completed) >= Interlocked.Read(ref _countTarget))
        {
            _countReached.TrySetResult();
        }
    }
}

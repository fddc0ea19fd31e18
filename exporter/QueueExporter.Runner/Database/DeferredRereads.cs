namespace QueueExporter.Runner.Database;

/// <summary>
/// Notified jobs whose re-read may wait a moment: the first notification after the runner's own enqueue
/// echo is almost always the worker's "started", which changes nothing the loop acts on (it counts enqueued
/// and started alike as running). Waiting lets the job's next notification ("done", "failed", back to
/// "pending") be read in the same statement, so a short job costs one re-read instead of two. Whatever the
/// notification really was, it is read within <see cref="Delay"/> (plus the wake-up's granularity), or at
/// once with anything read sooner; until then the loop keeps counting the job as running, which can only
/// hold a slot a little longer, never dispatch a job twice.
/// <para>
/// Used by the database's one reader only (not thread-safe). Time is the caller's monotonic timestamp
/// (<see cref="TimeProvider.GetTimestamp"/>), so the rules are tested without a clock. Entries belong to one
/// lease: a new lease starts with a full load and none of them.
/// </para>
/// </summary>
internal sealed class DeferredRereads
{
    private readonly Dictionary<string, long> _due = new(StringComparer.Ordinal);
    private readonly Queue<(string Uuid, long Due)> _order = new();
    private readonly long _delay;
    private long _epoch;

    /// <param name="delay">How long a re-read may wait.</param>
    /// <param name="timestampFrequency">Timestamp ticks per second (<see cref="TimeProvider.TimestampFrequency"/>).</param>
    public DeferredRereads(TimeSpan delay, long timestampFrequency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        Delay = delay;
        _delay = (long)(delay.TotalSeconds * timestampFrequency);
    }

    /// <summary>How long a re-read may wait.</summary>
    public TimeSpan Delay { get; }

    /// <summary>Jobs waiting now.</summary>
    public int Count => _due.Count;

    /// <summary>When the earliest waiting job is due, or null when none waits.</summary>
    public long? NextDue
    {
        get
        {
            while (_order.TryPeek(out var head))
            {
                if (_due.TryGetValue(head.Uuid, out var due) && due == head.Due)
                {
                    return due;
                }

                // Read meanwhile (or deferred again later): the queue drops such entries lazily.
                _order.Dequeue();
            }

            return null;
        }
    }

    /// <summary>Starts the lease <paramref name="epoch"/> with nothing waiting.</summary>
    public void BeginLease(long epoch)
    {
        if (_epoch != epoch)
        {
            _epoch = epoch;
            _due.Clear();
            _order.Clear();
        }
    }

    /// <summary>Lets these jobs' re-read wait until <paramref name="now"/> plus the delay; a job already waiting keeps its earlier time.</summary>
    public void Defer(IEnumerable<string> uuids, long now)
    {
        var due = now + _delay;
        foreach (var uuid in uuids)
        {
            if (_due.TryAdd(uuid, due))
            {
                _order.Enqueue((uuid, due));
            }
        }
    }

    /// <summary>These jobs are being read now anyway: they wait no more.</summary>
    public void Covered(IEnumerable<string> uuids)
    {
        if (_due.Count == 0)
        {
            return;
        }

        foreach (var uuid in uuids)
        {
            _due.Remove(uuid);
        }
    }

    /// <summary>Moves the jobs due by <paramref name="now"/> into <paramref name="into"/>, until it holds <paramref name="limit"/>.</summary>
    public void TakeDue(long now, ISet<string> into, int limit)
    {
        while (into.Count < limit && NextDue is { } due && due <= now)
        {
            var (uuid, _) = _order.Dequeue();
            _due.Remove(uuid);
            into.Add(uuid);
        }
    }
}

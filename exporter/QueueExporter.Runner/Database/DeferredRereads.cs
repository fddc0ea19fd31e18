namespace QueueExporter.Runner.Database;

/// <summary>
/// Notified jobs whose re-read may wait a moment (<see cref="StartedReadDeferral"/> says when): the first
/// notification after the runner's own enqueue echo is, with Odoo's worker and ours, the worker's "started",
/// which changes nothing the loop acts on (it counts enqueued and started alike as running). A waiting job is
/// read with the next statement the reader sends for any reason, or on its own once its wait is over, whichever
/// comes first; it is never skipped. Until then the loop keeps counting the job as running, which can only hold
/// a slot a little longer, never dispatch a job twice.
/// <para>
/// Used by the database's one reader only (not thread-safe). Time is the caller's monotonic timestamp
/// (<see cref="TimeProvider.GetTimestamp"/>), so the rules are tested without a clock. Entries belong to one
/// lease: a new lease starts with a full load and none of them. At most the jobs dispatched under the lease
/// and notified once since, each for at most <see cref="Delay"/>.
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

                // Read meanwhile: the queue drops such entries lazily.
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
            Clear();
        }
    }

    /// <summary>Forgets every waiting job (the database is not led: a new lease starts with a full load).</summary>
    public void Clear()
    {
        if (_order.Count > 0)
        {
            _due.Clear();
            _due.TrimExcess();
            _order.Clear();
            _order.TrimExcess();
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

    /// <summary>
    /// Moves the jobs whose wait is over by <paramref name="now"/> into <paramref name="into"/> (until it holds
    /// <paramref name="limit"/>), and lists them in <paramref name="waitedOut"/>: these were held the whole delay.
    /// </summary>
    public void TakeDue(long now, ISet<string> into, ISet<string> waitedOut, int limit)
    {
        while (into.Count < limit && NextDue is { } due && due <= now)
        {
            var (uuid, _) = _order.Dequeue();
            _due.Remove(uuid);
            if (into.Add(uuid))
            {
                waitedOut.Add(uuid);
            }
        }
    }

    /// <summary>
    /// A statement is going out anyway: every waiting job rides along with it (until <paramref name="into"/> holds
    /// <paramref name="limit"/>), at the cost of one more row each instead of a statement of its own later.
    /// </summary>
    public void RideAlong(ISet<string> into, int limit)
    {
        while (into.Count < limit && NextDue is not null)
        {
            var (uuid, _) = _order.Dequeue();
            _due.Remove(uuid);
            into.Add(uuid);
        }
    }
}

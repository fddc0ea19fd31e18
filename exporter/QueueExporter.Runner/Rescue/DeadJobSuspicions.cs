namespace QueueExporter.Runner.Rescue;

/// <summary>
/// Which jobs have been seen dead without a break for at least the grace: only those may be requeued.
/// <para>
/// Why: a free lock row proves nothing at the instant it is seen. After <c>pg_terminate_backend</c> or a
/// restart the row of a run whose handler still runs is free at once, and a run between its start
/// commit and its <c>FOR NO KEY UPDATE</c> has a free row too. A worker notices that its lock session is
/// gone within its check interval plus timeout, which it keeps below the grace; so a job is requeued only
/// once it has been seen dead, unchanged, for the whole grace, and the live run has been cancelled first.
/// </para>
/// <para>
/// "Without a break" is checked, not assumed from the passes being frequent: every pass locks the free
/// lock rows it sees, which writes its own transaction id into the row's xmax. When the next pass reads
/// that same id back, nobody locked the row in between, so no run held it in between, however long ago
/// the previous pass was. A run that locked it and then lost its session leaves its own id there and
/// starts a new sighting. A job without lock rows cannot gain a live run without changing state or
/// dates (a start inserts the row in the statement that marks the job started).
/// </para>
/// Pure: no I/O, time from <see cref="TimeProvider"/>. Bounded: at most <c>capacity</c> jobs are
/// remembered; a job seen beyond that is simply not timed yet (a later pass times it). A new instance
/// (a new leader) knows nothing, so it waits one full grace before its first requeue. An instance kept
/// across a loss and regain of leadership stays correct: the xmax check still tells whether anyone held
/// a row meanwhile, and a job another leader requeued has new dates.
/// Not thread-safe: one instance per database, used by that database's rescue loop only.
/// </summary>
internal sealed class DeadJobSuspicions
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly int _capacity;
    private Dictionary<int, Suspicion> _suspected = [];

    public DeadJobSuspicions(TimeProvider time, TimeSpan grace, int capacity)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _time = time;
        _grace = grace;
        _capacity = capacity;
    }

    /// <summary>Jobs being timed now.</summary>
    public int Count => _suspected.Count;

    /// <summary>
    /// Records one pass: <paramref name="sightings"/> are every job the pass saw dead, and
    /// <paramref name="pass"/> the 32-bit id of the pass's transaction (the xmax it leaves on the lock
    /// rows it locked). A job not in <paramref name="sightings"/> is forgotten: its sighting is broken.
    /// </summary>
    /// <returns>The ids of the jobs seen dead without a break for at least the grace.</returns>
    public IReadOnlyList<int> Observe(long pass, IReadOnlyCollection<DeadJobSighting> sightings)
    {
        ArgumentNullException.ThrowIfNull(sightings);
        var now = _time.GetUtcNow();
        var next = new Dictionary<int, Suspicion>(Math.Min(sightings.Count, _capacity));
        var due = new List<int>();
        foreach (var sighting in sightings)
        {
            if (next.ContainsKey(sighting.JobId))
            {
                continue;
            }

            if (_suspected.TryGetValue(sighting.JobId, out var earlier) && Continues(earlier, sighting))
            {
                next[sighting.JobId] = earlier with { Sighting = sighting, Pass = pass };
                if (now - earlier.Since >= _grace)
                {
                    due.Add(sighting.JobId);
                }
            }
            else if (next.Count < _capacity)
            {
                next[sighting.JobId] = new Suspicion(sighting, pass, now);
            }
        }

        _suspected = next;
        return due;
    }

    private static bool Continues(Suspicion earlier, DeadJobSighting now)
    {
        var before = earlier.Sighting;
        if (before.State != now.State || before.DateEnqueued != now.DateEnqueued || before.DateStarted != now.DateStarted
            || before.LockRows.Count != now.LockRows.Count)
        {
            return false;
        }

        // Same rows, each last locked by the previous pass itself: no run held one in between.
        var previous = before.LockRows.Select(r => r.Id).ToHashSet();
        return now.LockRows.All(r => previous.Contains(r.Id) && r.LastLocker == earlier.Pass);
    }

    private sealed record Suspicion(DeadJobSighting Sighting, long Pass, DateTimeOffset Since);
}

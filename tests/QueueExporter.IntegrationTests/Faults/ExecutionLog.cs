namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Every handler run the workers of one test made, and the checks on them: no two runs of one job
/// overlap in time. Filled live by <see cref="RecordingWorker"/>'s handler, or after the fact from the
/// logs of real worker processes (<see cref="WorkerLogReader"/>).
/// </summary>
public sealed class ExecutionLog
{
    // One lock over both collections: a run moves from running to finished in one step, so a reader
    // never sees it in both (a false overlap with itself) or in neither. Concurrent collections were
    // not enough: a collection expression sizes its array from Count before it enumerates, and a
    // handler that ended in between threw IndexOutOfRangeException in the middle of a fault test.
    private readonly Lock _lock = new();
    private readonly List<JobExecution> _finished = [];
    private readonly Dictionary<long, JobExecution> _running = [];
    private long _nextId;

    /// <summary>Records the start of a run; pass the returned id to <see cref="End"/>.</summary>
    public long Begin(string uuid, string worker, int pid)
    {
        lock (_lock)
        {
            var id = ++_nextId;
            _running[id] = new JobExecution(uuid, worker, pid, DateTimeOffset.UtcNow, null, "running");
            return id;
        }
    }

    public void End(long id, string outcome)
    {
        lock (_lock)
        {
            if (_running.Remove(id, out var execution))
            {
                _finished.Add(execution with { Ended = DateTimeOffset.UtcNow, Outcome = outcome });
            }
        }
    }

    /// <summary>Adds a run reconstructed from elsewhere (a worker process's log).</summary>
    public void Add(JobExecution execution)
    {
        lock (_lock)
        {
            _finished.Add(execution);
        }
    }

    /// <summary>Every run so far, the running ones open-ended: one consistent snapshot.</summary>
    public IReadOnlyList<JobExecution> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _finished, .. _running.Values];
            }
        }
    }

    /// <summary>How many runs each job had.</summary>
    public IReadOnlyDictionary<string, int> RunsPerJob() =>
        All.GroupBy(e => e.Uuid, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>Pairs of runs of the same job that were in progress at the same moment.</summary>
    public IReadOnlyList<(JobExecution First, JobExecution Second)> Overlaps()
    {
        var now = DateTimeOffset.UtcNow;
        var overlaps = new List<(JobExecution, JobExecution)>();
        foreach (var runs in All.GroupBy(e => e.Uuid, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var ordered = runs.OrderBy(r => r.Started).ToList();
            for (var i = 0; i < ordered.Count; i++)
            {
                for (var j = i + 1; j < ordered.Count; j++)
                {
                    if (ordered[i].Overlaps(ordered[j], now))
                    {
                        overlaps.Add((ordered[i], ordered[j]));
                    }
                }
            }
        }

        return overlaps;
    }
}

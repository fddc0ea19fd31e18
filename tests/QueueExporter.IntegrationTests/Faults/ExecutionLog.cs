using System.Collections.Concurrent;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Every handler run the workers of one test made, and the checks on them: no two runs of one job
/// overlap in time. Filled live by <see cref="RecordingWorker"/>'s handler, or after the fact from the
/// logs of real worker processes (<see cref="WorkerLogReader"/>).
/// </summary>
public sealed class ExecutionLog
{
    private readonly ConcurrentQueue<JobExecution> _finished = new();
    private readonly ConcurrentDictionary<long, JobExecution> _running = new();
    private long _nextId;

    /// <summary>Records the start of a run; pass the returned id to <see cref="End"/>.</summary>
    public long Begin(string uuid, string worker, int pid)
    {
        var id = Interlocked.Increment(ref _nextId);
        _running[id] = new JobExecution(uuid, worker, pid, DateTimeOffset.UtcNow, null, "running");
        return id;
    }

    public void End(long id, string outcome)
    {
        if (_running.TryRemove(id, out var execution))
        {
            _finished.Enqueue(execution with { Ended = DateTimeOffset.UtcNow, Outcome = outcome });
        }
    }

    /// <summary>Adds a run reconstructed from elsewhere (a worker process's log).</summary>
    public void Add(JobExecution execution) => _finished.Enqueue(execution);

    /// <summary>Every run so far, the running ones open-ended.</summary>
    public IReadOnlyList<JobExecution> All => [.. _finished, .. _running.Values];

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

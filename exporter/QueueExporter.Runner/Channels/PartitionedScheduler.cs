namespace QueueExporter.Runner.Channels;

/// <summary>
/// <see cref="CapacityScope.Database"/> and <see cref="CapacityScope.Server"/>: one <see cref="JobScheduler"/>
/// per partition (a database, or a server's databases), each with the whole channel configuration, so
/// capacities, sequential channels and throttles hold per partition. Picks go round the partitions from
/// where the last pick stopped, so one partition's burst cannot starve the others when a pick is bounded.
/// </summary>
public sealed class PartitionedScheduler : IJobScheduler
{
    private readonly IReadOnlyList<ChannelConfiguration> _channels;
    private readonly TimeProvider _time;
    private readonly Func<string, string> _partitionOf;
    private readonly Dictionary<string, JobScheduler> _schedulers = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    // Holds no job: lists the configured channels with zero counts while no partition has any.
    private readonly JobScheduler _configured;
    private int _next;

    /// <param name="channels">The configuration every partition gets whole.</param>
    /// <param name="time">The clock.</param>
    /// <param name="partitionOf">A database's partition; null: each database is its own.</param>
    public PartitionedScheduler(IReadOnlyList<ChannelConfiguration> channels, TimeProvider time, Func<string, string>? partitionOf = null)
    {
        _channels = channels ?? throw new ArgumentNullException(nameof(channels));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _partitionOf = partitionOf ?? (database => database);
        _configured = new JobScheduler(channels, time);
    }

    public int JobCount { get; private set; }

    public void Upsert(in JobFacts facts)
    {
        var scheduler = SchedulerFor(facts.Database);
        var before = scheduler.JobCount;
        scheduler.Upsert(facts);
        JobCount += scheduler.JobCount - before;
    }

    public void Load(string database, ReadOnlySpan<LoadedJob> jobs)
    {
        var scheduler = SchedulerFor(database);
        var before = scheduler.JobCount;
        scheduler.Load(database, jobs);
        JobCount += scheduler.JobCount - before;
    }

    public bool Remove(string database, string uuid)
    {
        if (!_schedulers.TryGetValue(_partitionOf(database), out var scheduler) || !scheduler.Remove(database, uuid))
        {
            return false;
        }

        JobCount--;
        return true;
    }

    public void ForgetDatabase(string database)
    {
        var partition = _partitionOf(database);
        if (!_schedulers.TryGetValue(partition, out var scheduler))
        {
            return;
        }

        if (string.Equals(partition, database, StringComparison.Ordinal))
        {
            // The whole scheduler goes: its channel counters (running, throttle pauses) belong to that database only.
            _schedulers.Remove(partition);
            _order.Remove(partition);
            JobCount -= scheduler.JobCount;
            return;
        }

        // Shared with the server's other databases: forget this one's jobs as the runner-wide scheduler does.
        var before = scheduler.JobCount;
        scheduler.ForgetDatabase(database);
        JobCount -= before - scheduler.JobCount;
    }

    public IReadOnlyList<RunnableJob> TakeRunnable(int max = int.MaxValue)
    {
        var taken = new List<RunnableJob>();
        for (var visited = 0; visited < _order.Count && taken.Count < max; visited++)
        {
            _next %= _order.Count;
            taken.AddRange(_schedulers[_order[_next]].TakeRunnable(max - taken.Count));
            _next++;
        }

        return taken;
    }

    public DateTimeOffset? NextWakeUp()
    {
        DateTimeOffset? earliest = null;
        foreach (var scheduler in _schedulers.Values)
        {
            if (scheduler.NextWakeUp() is { } wakeUp && (earliest is null || wakeUp < earliest))
            {
                earliest = wakeUp;
            }
        }

        return earliest;
    }

    /// <summary>Counters summed over partitions; the capacity shown is the configured one (it applies to each partition).</summary>
    public IReadOnlyList<ChannelJobCounts> CountChannels()
    {
        var sums = new SortedDictionary<string, ChannelJobCounts>(StringComparer.Ordinal);
        foreach (var counts in _configured.CountChannels().Concat(_schedulers.Values.SelectMany(s => s.CountChannels())))
        {
            sums[counts.Channel] = sums.TryGetValue(counts.Channel, out var sum)
                ? sum with
                {
                    Queued = sum.Queued + counts.Queued,
                    Running = sum.Running + counts.Running,
                    Failed = sum.Failed + counts.Failed,
                    WaitingForEta = sum.WaitingForEta + counts.WaitingForEta,
                }
                : counts;
        }

        return [.. sums.Values];
    }

    private JobScheduler SchedulerFor(string database)
    {
        var partition = _partitionOf(database);
        if (!_schedulers.TryGetValue(partition, out var scheduler))
        {
            scheduler = new JobScheduler(_channels, _time);
            _schedulers.Add(partition, scheduler);
            _order.Add(partition);
        }

        return scheduler;
    }
}

namespace QueueExporter.Runner.Channels;

/// <summary>
/// <see cref="CapacityScope.Database"/>: one <see cref="JobScheduler"/> per database, each with the whole
/// channel configuration, so capacities, sequential channels and throttles hold per database. Picks go
/// round the databases from where the last pick stopped, so one database's burst cannot starve the others
/// when a pick is bounded.
/// </summary>
public sealed class PerDatabaseScheduler : IJobScheduler
{
    private readonly IReadOnlyList<ChannelConfiguration> _channels;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, JobScheduler> _schedulers = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    // Holds no job: lists the configured channels with zero counts while no database has any.
    private readonly JobScheduler _configured;
    private int _next;

    public PerDatabaseScheduler(IReadOnlyList<ChannelConfiguration> channels, TimeProvider time)
    {
        _channels = channels ?? throw new ArgumentNullException(nameof(channels));
        _time = time ?? throw new ArgumentNullException(nameof(time));
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

    public bool Remove(string database, string uuid)
    {
        if (!_schedulers.TryGetValue(database, out var scheduler) || !scheduler.Remove(database, uuid))
        {
            return false;
        }

        JobCount--;
        return true;
    }

    public void ForgetDatabase(string database)
    {
        // The whole scheduler goes: its channel counters (running, throttle pauses) belong to that database only.
        if (_schedulers.Remove(database, out var scheduler))
        {
            JobCount -= scheduler.JobCount;
            _order.Remove(database);
        }
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

    /// <summary>Counters summed over databases; the capacity shown is the configured one (it applies to each database).</summary>
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
        if (!_schedulers.TryGetValue(database, out var scheduler))
        {
            scheduler = new JobScheduler(_channels, _time);
            _schedulers.Add(database, scheduler);
            _order.Add(database);
        }

        return scheduler;
    }
}

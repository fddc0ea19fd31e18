namespace QueueExporter.Runner.Channels;

/// <summary>
/// What the runner loop asks of its scheduling core. <see cref="JobScheduler"/> counts channel capacities
/// across every database it holds (OCA's meaning: one runner, one set of channels);
/// <see cref="PartitionedScheduler"/> gives each database (or each server) the whole configured capacity of its own.
/// </summary>
public interface IJobScheduler
{
    /// <summary>Active jobs held, across databases.</summary>
    int JobCount { get; }

    /// <summary>Records the current facts of one row: adds, moves or forgets the job as its state says.</summary>
    void Upsert(in JobFacts facts);

    /// <summary>Records one slice of a full load of <paramref name="database"/>: each row as <see cref="Upsert"/> would.</summary>
    void Load(string database, ReadOnlySpan<LoadedJob> jobs);

    /// <summary>Forgets a job; false when it was unknown.</summary>
    bool Remove(string database, string uuid);

    /// <summary>Forgets every job of a database.</summary>
    void ForgetDatabase(string database);

    /// <summary>Picks the jobs that may start now, at most <paramref name="max"/>, and counts them as running.</summary>
    IReadOnlyList<RunnableJob> TakeRunnable(int max = int.MaxValue);

    /// <summary>When waiting jobs could next become runnable by time alone; null when only new facts can.</summary>
    DateTimeOffset? NextWakeUp();

    /// <summary>Per-channel counters, sorted by channel name.</summary>
    IReadOnlyList<ChannelJobCounts> CountChannels();
}

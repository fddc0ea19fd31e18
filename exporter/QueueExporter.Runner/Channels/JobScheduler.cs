using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Runner.Channels;

/// <summary>
/// The runner's decision core: pure, single-threaded, no I/O, time from <see cref="TimeProvider"/>.
/// It holds every active job of every database keyed by (database, uuid), and answers "which jobs may
/// start now": a job starts only if its channel and every ancestor up to root accept one more
/// (capacity, sequential, throttle, paused), pending jobs whose eta is in the future wait, and within
/// those limits jobs start in (priority, date_created, id) order.
/// <para>
/// A sequential channel also keeps its order across etas, as OCA's does: when its own earliest future-eta
/// job comes before the best job that could pass through it now (its own or a child's), nothing passes.
/// Jobs of unconfigured subchannels pass through the channel, but their failures and etas are not its own.
/// </para>
/// <para>
/// Unlike OCA, a job counts as running in an ancestor only once it is really dispatched (OCA parks it in
/// the parent's queue and counts it as running in the child meanwhile); so a better job arriving in a
/// child later can still overtake, and capacities are exact at every level. For the same reason a
/// throttle pause starts at that real dispatch, where OCA starts it when the job is handed to the parent.
/// </para>
/// Each pick costs O(channels + log n): one walk down the (configuration-sized) channel tree comparing
/// heap heads, then one heap removal. No operation scans jobs, except forgetting a whole database.
/// </summary>
public sealed class JobScheduler : IJobScheduler
{
    private readonly ChannelTree _tree;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, DatabaseJobs> _databases = new(StringComparer.Ordinal);
    private readonly List<string> _databaseNames = [];
    private string? _lastDatabaseName;
    private DatabaseJobs? _lastDatabase;

    /// <summary>Builds the channel tree from <paramref name="channels"/> (see <see cref="ChannelConfigurationParser"/>).</summary>
    public JobScheduler(IReadOnlyList<ChannelConfiguration> channels, TimeProvider time)
    {
        _tree = new ChannelTree(channels);
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>Active jobs held, across databases.</summary>
    public int JobCount { get; private set; }

    /// <summary>Every channel (configured and implicit), sorted by name.</summary>
    public IReadOnlyList<ChannelConfiguration> Channels => [.. _tree.Nodes.Select(n => n.Configuration)];

    /// <summary>Records the current facts of one row: adds, moves or forgets the job as its state says.</summary>
    public void Upsert(in JobFacts facts)
    {
        var canonical = DatabaseJobs.TryParseCanonical(facts.Uuid, out var uuid);
        Apply(
            DatabaseFor(facts.Database),
            uuid,
            canonical ? null : facts.Uuid,
            facts.State,
            facts.Channel,
            facts.Priority,
            facts.DateCreated.UtcTicks,
            facts.Id,
            facts.Eta?.UtcTicks ?? 0,
            _time.GetUtcNow().UtcTicks);
    }

    /// <summary>Records one slice of a full load, row by row as <see cref="Upsert"/> would, with one clock read for the slice.</summary>
    public void Load(string database, ReadOnlySpan<LoadedJob> jobs)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var held = DatabaseFor(database);
        foreach (ref readonly var job in jobs)
        {
            Apply(held, job.Uuid, job.UuidText, job.State, job.Channel, job.Priority, job.CreatedTicks, job.Id, job.EtaTicks, now);
        }
    }

    // The one place a row's facts change what is held: Upsert and Load differ only in how the row arrives.
    private void Apply(
        DatabaseJobs database, Guid uuid, string? uuidText, string state, string? channel, int priority, long createdTicks, int id, long etaTicks, long now)
    {
        ScheduledJobState target;
        switch (state)
        {
            case JobStates.Pending:
                target = etaTicks > now ? ScheduledJobState.WaitingForEta : ScheduledJobState.Ready;
                break;
            case JobStates.Enqueued or JobStates.Started:
                target = ScheduledJobState.Running;
                break;
            case JobStates.Failed:
                target = ScheduledJobState.Failed;
                break;
            default:
                if (database.Find(uuid, uuidText) is { } gone)
                {
                    Forget(database, gone);
                }

                return;
        }

        var node = _tree.Resolve(channel, out var inSubchannel);
        var job = database.GetOrAdd(uuid, uuidText, out var added);
        if (added)
        {
            JobCount++;
        }
        else
        {
            var sameKey = job.Node == node && job.InSubchannel == inSubchannel && job.Priority == priority && job.Id == id
                && job.CreatedTicks == createdTicks && job.EtaTicks == etaTicks;
            if (sameKey && job.State == target)
            {
                return;
            }

            Detach(job);
        }

        job.Node = node;
        job.InSubchannel = inSubchannel;
        job.Priority = priority;
        job.Id = id;
        job.CreatedTicks = createdTicks;
        job.EtaTicks = etaTicks;
        job.SeenTicks = now;
        Attach(job, target);
    }

    /// <summary>Forgets a job (its row is gone, done or cancelled). Returns false when it was unknown.</summary>
    public bool Remove(string database, string uuid)
    {
        if (!_databases.TryGetValue(database, out var jobs) || jobs.Find(uuid) is not { } job)
        {
            return false;
        }

        Forget(jobs, job);
        return true;
    }

    private void Forget(DatabaseJobs jobs, ScheduledJob job)
    {
        Detach(job);
        jobs.Delete(job);
        JobCount--;
    }

    /// <summary>Forgets every job of a database (before a full reload, or when it is no longer ours).</summary>
    public void ForgetDatabase(string database)
    {
        if (!_databases.TryGetValue(database, out var jobs))
        {
            return;
        }

        foreach (var job in jobs.All().ToList())
        {
            Forget(jobs, job);
        }
    }

    /// <summary>Whether the job is held and counted as running (enqueued or started).</summary>
    public bool IsRunning(string database, string uuid) =>
        _databases.TryGetValue(database, out var jobs) && jobs.Find(uuid) is { State: ScheduledJobState.Running };

    /// <summary>
    /// Picks the jobs that may start now, best first, at most <paramref name="max"/>, and counts them as
    /// running from this moment (the caller dispatches them; the row's next facts correct the model).
    /// </summary>
    public IReadOnlyList<RunnableJob> TakeRunnable(int max = int.MaxValue)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var taken = new List<RunnableJob>();
        while (taken.Count < max && Best(_tree.Root, now) is { } job)
        {
            job.ReadyHeap.Remove(job);
            job.State = ScheduledJobState.Running;
            for (var node = job.Node; node is not null; node = node.Parent)
            {
                node.Running++;
                if (node.Configuration.ThrottleSeconds > 0)
                {
                    node.ThrottledUntilTicks = now + (node.Configuration.ThrottleSeconds * TimeSpan.TicksPerSecond);
                }
            }

            var since = Math.Max(job.SeenTicks, job.EtaTicks);
            taken.Add(new RunnableJob(_databaseNames[job.DatabaseIndex], job.UuidString, job.Node.Name, new DateTimeOffset(since, TimeSpan.Zero)));
        }

        return taken;
    }

    /// <summary>
    /// When waiting jobs could next become runnable by time alone (an eta or a throttle pause ending);
    /// null when only a change of facts can free anything. Full channels ask for no timed wake-up.
    /// </summary>
    public DateTimeOffset? NextWakeUp()
    {
        var ticks = WakeUp(_tree.Root, _time.GetUtcNow().UtcTicks);
        return ticks == long.MaxValue ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>Per-channel counters, sorted by channel name.</summary>
    public IReadOnlyList<ChannelJobCounts> CountChannels()
    {
        var now = _time.GetUtcNow().UtcTicks;
        return [.. _tree.Nodes.Select(node =>
        {
            PromoteDue(node, now);
            return new ChannelJobCounts(
                node.Name,
                node.Configuration.Capacity,
                node.Ready.Count + node.SubchannelReady.Count,
                node.Running,
                node.Failed + node.SubchannelFailed,
                node.WaitingForEta.Count + node.SubchannelWaitingForEta.Count);
        })];
    }

    private static ScheduledJob? Best(ChannelNode node, long now)
    {
        if (!node.Accepts(now))
        {
            return null;
        }

        PromoteDue(node, now);
        var best = Better(node.Ready.Peek(), node.SubchannelReady.Peek());
        foreach (var child in node.ChildList)
        {
            best = Better(best, Best(child, now));
        }

        if (node.Configuration.Sequential && best is not null && node.WaitingForEta.Peek() is { } early
            && ScheduledJob.CompareByPriority(early, best) < 0)
        {
            // A sequential channel keeps its order: the job that comes first waits for its eta, and so does
            // everything behind it, children's jobs included, since they all pass through this channel.
            // As in OCA, only the channel's earliest own eta job is compared, never a subchannel's.
            return null;
        }

        return best;
    }

    private static ScheduledJob? Better(ScheduledJob? a, ScheduledJob? b) =>
        a is null ? b : b is null || ScheduledJob.CompareByPriority(a, b) <= 0 ? a : b;

    private static long WakeUp(ChannelNode node, long now)
    {
        if (node.Configuration.Paused || node.IsFull || (node.Configuration.Sequential && node.Failed > 0))
        {
            return long.MaxValue;
        }

        if (node.ThrottledUntilTicks > now)
        {
            return node.ThrottledUntilTicks;
        }

        var earliest = Math.Min(node.WaitingForEta.Peek()?.EtaTicks ?? long.MaxValue, node.SubchannelWaitingForEta.Peek()?.EtaTicks ?? long.MaxValue);
        foreach (var child in node.ChildList)
        {
            earliest = Math.Min(earliest, WakeUp(child, now));
        }

        return earliest;
    }

    private static void PromoteDue(ChannelNode node, long now)
    {
        PromoteDue(node.WaitingForEta, node.Ready, now);
        PromoteDue(node.SubchannelWaitingForEta, node.SubchannelReady, now);
    }

    private static void PromoteDue(JobHeap waiting, JobHeap ready, long now)
    {
        while (waiting.Peek() is { } job && job.EtaTicks <= now)
        {
            waiting.Pop();
            job.State = ScheduledJobState.Ready;
            ready.Add(job);
        }
    }

    private static void Attach(ScheduledJob job, ScheduledJobState state)
    {
        job.State = state;
        switch (state)
        {
            case ScheduledJobState.Ready:
                job.ReadyHeap.Add(job);
                break;
            case ScheduledJobState.WaitingForEta:
                job.WaitingHeap.Add(job);
                break;
            case ScheduledJobState.Running:
                for (var node = job.Node; node is not null; node = node.Parent)
                {
                    node.Running++;
                }

                break;
            case ScheduledJobState.Failed when job.InSubchannel:
                job.Node.SubchannelFailed++;
                break;
            case ScheduledJobState.Failed:
                job.Node.Failed++;
                break;
        }
    }

    private static void Detach(ScheduledJob job)
    {
        switch (job.State)
        {
            case ScheduledJobState.Ready:
                job.ReadyHeap.Remove(job);
                break;
            case ScheduledJobState.WaitingForEta:
                job.WaitingHeap.Remove(job);
                break;
            case ScheduledJobState.Running:
                for (var node = job.Node; node is not null; node = node.Parent)
                {
                    node.Running--;
                }

                break;
            case ScheduledJobState.Failed when job.InSubchannel:
                job.Node.SubchannelFailed--;
                break;
            case ScheduledJobState.Failed:
                job.Node.Failed--;
                break;
        }
    }

    private DatabaseJobs DatabaseFor(string name)
    {
        // Loads and batches pass the same string instance row after row: skip the hash then.
        if (ReferenceEquals(name, _lastDatabaseName))
        {
            return _lastDatabase!;
        }

        if (!_databases.TryGetValue(name, out var jobs))
        {
            jobs = new DatabaseJobs(_databaseNames.Count);
            _databases[name] = jobs;
            _databaseNames.Add(name);
        }

        _lastDatabaseName = name;
        _lastDatabase = jobs;
        return jobs;
    }
}

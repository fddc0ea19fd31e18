using QueueExporter.Runner.Channels;

namespace QueueExporter.Tests.Runner;

/// <summary>
/// A reference model of OCA's channels (queue_job/jobrunner/channels.py, 16.0/17.0), written from its
/// rules, as slow and plain as possible: flat job list, linear scans, time in whole seconds.
/// <para>
/// Channels are built as OCA builds them: configured channels and their implicit parents first; a job of
/// a channel that does not exist gets a new unlimited channel below the nearest existing one, named as
/// OCA names it (<c>root.s.x</c> under <c>root.s</c> becomes <c>root.s.s.x</c>).
/// </para>
/// <para>
/// Jobs are picked one at a time: a channel offers nothing when paused, throttled, full (counting jobs
/// running in it and below), or sequential with a failed job of its own; otherwise it offers the best
/// of its own ready jobs and its children's offers, unless it is sequential and its earliest own
/// future-eta job comes before that best one. Picking one at a time is OCA's rule minus two of the
/// deliberate differences docs/runner.md names: nothing is parked in a parent's queue (a job counts as
/// running only once dispatched), and a throttle pause starts when a job is dispatched. The third is in
/// <see cref="Notify"/>: a job in wait_dependencies is forgotten, where OCA leaves it in its old place.
/// </para>
/// </summary>
internal sealed class OcaChannelModel
{
    private readonly Channel _root;
    private readonly Dictionary<string, Channel> _byName = new(StringComparer.Ordinal);
    private readonly List<Job> _jobs = [];

    public OcaChannelModel(IReadOnlyList<ChannelConfiguration> configuration)
    {
        _root = new Channel("root", null) { Capacity = 1 };
        _byName["root"] = _root;
        foreach (var entry in configuration)
        {
            var channel = _root;
            foreach (var segment in entry.Name.Split('.').Skip(1))
            {
                channel = Child(channel, segment);
                _byName.TryAdd(channel.Name, channel);
            }

            channel.Capacity = entry.Capacity;
            channel.Sequential = entry.Sequential;
            channel.Throttle = entry.ThrottleSeconds;
            channel.Paused = entry.Paused;
        }
    }

    /// <summary>The full name of the OCA channel a job of <paramref name="jobChannel"/> lands in (created if needed).</summary>
    public string ChannelOf(string? jobChannel) => Resolve(jobChannel).Name;

    /// <summary>Records a row's facts, as OCA's <c>ChannelManager.notify</c> (or its removal) would.</summary>
    public void Notify(string db, string uuid, string? channel, int priority, long created, int id, long? eta, string state)
    {
        _jobs.RemoveAll(j => j.Db == db && j.Uuid == uuid);
        var modelState = state switch
        {
            "pending" => JobState.Pending,
            "enqueued" or "started" => JobState.Running,
            "failed" => JobState.Failed,
            _ => (JobState?)null,
        };
        if (modelState is { } kept)
        {
            _jobs.Add(new Job(db, uuid, Resolve(channel), priority, created, id, eta) { State = kept });
        }
    }

    public void ForgetDatabase(string db) => _jobs.RemoveAll(j => j.Db == db);

    /// <summary>Every job that may start at <paramref name="now"/>, in the order they are picked; they count as running.</summary>
    public List<(string Db, string Uuid)> Take(long now)
    {
        var taken = new List<(string, string)>();
        while (Offer(_root, now) is { } job)
        {
            job.State = JobState.Running;
            for (var channel = job.Channel; channel is not null; channel = channel.Parent)
            {
                if (channel.Throttle > 0)
                {
                    channel.PausedUntil = now + channel.Throttle;
                }
            }

            taken.Add((job.Db, job.Uuid));
        }

        return taken;
    }

    /// <summary>OCA's <c>get_wakeup_time</c> after a round at <paramref name="now"/>; null for none.</summary>
    public long? WakeUp(long now) => WakeUp(_root, now);

    private static bool IsWithin(Channel channel, Channel ancestor)
    {
        for (var c = channel; c is not null; c = c.Parent)
        {
            if (c == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static (int, long, int) Key(Job job) => (job.Priority, job.Created, job.Id);

    private static Channel Child(Channel parent, string segment)
    {
        if (!parent.Children.TryGetValue(segment, out var child))
        {
            child = new Channel(parent.Name + "." + segment, parent);
            parent.Children[segment] = child;
        }

        return child;
    }

    private Channel Resolve(string? jobChannel)
    {
        if (string.IsNullOrEmpty(jobChannel) || jobChannel == "root")
        {
            return _root;
        }

        var name = jobChannel.StartsWith("root.", StringComparison.Ordinal) ? jobChannel : "root." + jobChannel;
        if (_byName.TryGetValue(name, out var existing))
        {
            return existing;
        }

        // OCA's parent fallback: the nearest existing ancestor, then the job's whole path below it.
        var parent = _root;
        for (var cut = name.LastIndexOf('.'); cut > 0; cut = name.LastIndexOf('.', cut - 1))
        {
            if (_byName.TryGetValue(name[..cut], out var found))
            {
                parent = found;
                break;
            }
        }

        var channel = parent;
        foreach (var segment in name.Split('.').Skip(1))
        {
            channel = Child(channel, segment);
            _byName.TryAdd(channel.Name, channel);
        }

        return channel;
    }

    private bool Refuses(Channel channel, long now) =>
        channel.Paused
        || (channel.Throttle > 0 && channel.PausedUntil > now)
        || (channel.Sequential && _jobs.Any(j => j.Channel == channel && j.State == JobState.Failed))
        || (channel.Capacity > 0 && _jobs.Count(j => j.State == JobState.Running && IsWithin(j.Channel, channel)) >= channel.Capacity);

    private Job? Offer(Channel channel, long now)
    {
        if (Refuses(channel, now))
        {
            return null;
        }

        var offers = _jobs.Where(j => j.Channel == channel && j.State == JobState.Pending && !(j.Eta > now))
            .Concat(channel.Children.Values.Select(child => Offer(child, now)).OfType<Job>());
        var best = offers.MinBy(Key);
        if (best is not null && channel.Sequential)
        {
            var earliest = _jobs.Where(j => j.Channel == channel && j.State == JobState.Pending && j.Eta > now)
                .MinBy(j => (j.Eta!.Value, j.Priority, j.Created, j.Id));
            if (earliest is not null && Key(earliest).CompareTo(Key(best)) < 0)
            {
                return null;
            }
        }

        return best;
    }

    private long? WakeUp(Channel channel, long now)
    {
        if (channel.Paused
            || (channel.Sequential && _jobs.Any(j => j.Channel == channel && j.State == JobState.Failed))
            || (channel.Capacity > 0 && _jobs.Count(j => j.State == JobState.Running && IsWithin(j.Channel, channel)) >= channel.Capacity))
        {
            return null;
        }

        if (channel.Throttle > 0 && channel.PausedUntil > now)
        {
            return channel.PausedUntil;
        }

        var times = _jobs.Where(j => j.Channel == channel && j.State == JobState.Pending && j.Eta > now).Select(j => j.Eta)
            .Concat(channel.Children.Values.Select(child => WakeUp(child, now)))
            .OfType<long>()
            .ToList();
        return times.Count == 0 ? null : times.Min();
    }

    private enum JobState
    {
        Pending,
        Running,
        Failed,
    }

    private sealed class Channel(string name, Channel? parent)
    {
        public string Name { get; } = name;

        public Channel? Parent { get; } = parent;

        public Dictionary<string, Channel> Children { get; } = new(StringComparer.Ordinal);

        public int Capacity { get; set; }

        public bool Sequential { get; set; }

        public int Throttle { get; set; }

        public bool Paused { get; set; }

        public long PausedUntil { get; set; }
    }

    private sealed class Job(string db, string uuid, Channel channel, int priority, long created, int id, long? eta)
    {
        public string Db { get; } = db;

        public string Uuid { get; } = uuid;

        public Channel Channel { get; } = channel;

        public int Priority { get; } = priority;

        public long Created { get; } = created;

        public int Id { get; } = id;

        public long? Eta { get; } = eta;

        public JobState State { get; set; }
    }
}

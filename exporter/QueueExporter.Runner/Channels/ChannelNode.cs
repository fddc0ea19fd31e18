namespace QueueExporter.Runner.Channels;

/// <summary>
/// One channel of the tree with its live counters. <see cref="Running"/> counts jobs of this channel
/// and of every channel below it (that is what its capacity bounds); <see cref="Failed"/> and the two
/// queues hold only the jobs whose channel is this node itself, the <c>Subchannel</c> ones the jobs of
/// its unconfigured subchannels (see <see cref="ChannelTree"/>): a sequential node waits for its own
/// failed and eta jobs only, as in OCA.
/// </summary>
internal sealed class ChannelNode
{
    public ChannelNode(ChannelConfiguration configuration, ChannelNode? parent, bool configured)
    {
        Configuration = configuration;
        Parent = parent;
        IsConfigured = configured;
        Depth = parent is null ? 0 : parent.Depth + 1;
        parent?.ChildList.Add(this);
    }

    public ChannelConfiguration Configuration { get; }

    public string Name => Configuration.Name;

    public ChannelNode? Parent { get; }

    /// <summary>False for implicit parents (created because a subchannel was configured).</summary>
    public bool IsConfigured { get; }

    public int Depth { get; }

    public List<ChannelNode> ChildList { get; } = [];

    /// <summary>Pending jobs whose eta has passed (or that have none), ordered by (priority, date_created, id).</summary>
    public JobHeap Ready { get; } = new(JobHeapOrder.Priority);

    /// <summary>Pending jobs whose eta is in the future, ordered by eta.</summary>
    public JobHeap WaitingForEta { get; } = new(JobHeapOrder.Eta);

    /// <summary>Ready jobs of unconfigured subchannels: they compete with <see cref="Ready"/> for this node's room.</summary>
    public JobHeap SubchannelReady { get; } = new(JobHeapOrder.Priority);

    /// <summary>Future-eta jobs of unconfigured subchannels: they only set wake-ups.</summary>
    public JobHeap SubchannelWaitingForEta { get; } = new(JobHeapOrder.Eta);

    public int Running { get; set; }

    /// <summary>Failed jobs of this channel itself: they stop it when it is sequential.</summary>
    public int Failed { get; set; }

    /// <summary>Failed jobs of unconfigured subchannels: counted, never blocking.</summary>
    public int SubchannelFailed { get; set; }

    /// <summary>UTC ticks until which throttling holds this channel; 0 when not throttled.</summary>
    public long ThrottledUntilTicks { get; set; }

    public bool IsFull => Configuration.Capacity > 0 && Running >= Configuration.Capacity;

    /// <summary>True when the channel itself refuses a job now (its ancestors are checked by the caller walking down).</summary>
    public bool Accepts(long nowTicks) =>
        !Configuration.Paused
        && !IsFull
        && !(Configuration.Sequential && Failed > 0)
        && ThrottledUntilTicks <= nowTicks;
}

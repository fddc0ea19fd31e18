namespace QueueExporter.Runner.Channels;

/// <summary>Where a job sits in the scheduler; decides which counters and heap hold it.</summary>
internal enum ScheduledJobState : byte
{
    Ready,
    WaitingForEta,
    Running,
    Failed,
}

/// <summary>
/// The one object the scheduler keeps per active job: 80 bytes with the object header, and nothing else
/// per job but its slot in the uuid map and in one heap (a million pending jobs are a million of these).
/// The uuid is stored as a <see cref="Guid"/> when it is a canonical lowercase uuid (what Odoo writes);
/// any other text is kept by the <see cref="TextKeyedJob"/> subclass, so the common job pays no field for it.
/// The database index, state and subchannel flag share one int: two bytes more would round the object up
/// to 88. Times are UTC ticks so that comparisons allocate nothing.
/// </summary>
internal class ScheduledJob
{
    /// <summary>Databases one scheduler can tell apart (the index takes the low 24 bits of the packed field).</summary>
    public const int MaxDatabases = 1 << 24;

    private const int StateShift = 24;
    private const int StateMask = 0x3 << StateShift;
    private const int SubchannelBit = 1 << 26;

    // Low 24 bits: database index; bits 24-25: state; bit 26: in an unconfigured subchannel.
    private int _packed;

    public ScheduledJob(int databaseIndex, Guid uuid)
    {
        if ((uint)databaseIndex >= MaxDatabases)
        {
            throw new ArgumentOutOfRangeException(nameof(databaseIndex), databaseIndex, $"a scheduler holds at most {MaxDatabases} databases");
        }

        _packed = databaseIndex;
        Uuid = uuid;
    }

    public int DatabaseIndex => _packed & (MaxDatabases - 1);

    /// <summary>The uuid when canonical; <see cref="Guid.Empty"/> for a <see cref="TextKeyedJob"/>.</summary>
    public Guid Uuid { get; }

    /// <summary>Only set when the uuid is not a canonical lowercase uuid.</summary>
    public string? UuidText => (this as TextKeyedJob)?.Text;

    public ChannelNode Node { get; set; } = null!;

    /// <summary>True when the job's channel is an unconfigured subchannel of <see cref="Node"/>.</summary>
    public bool InSubchannel
    {
        get => (_packed & SubchannelBit) != 0;
        set => _packed = value ? _packed | SubchannelBit : _packed & ~SubchannelBit;
    }

    /// <summary>The heap holding the job while it is ready.</summary>
    public JobHeap ReadyHeap => InSubchannel ? Node.SubchannelReady : Node.Ready;

    /// <summary>The heap holding the job while its eta is in the future.</summary>
    public JobHeap WaitingHeap => InSubchannel ? Node.SubchannelWaitingForEta : Node.WaitingForEta;

    public int Id { get; set; }

    public int Priority { get; set; }

    public long CreatedTicks { get; set; }

    /// <summary>UTC ticks of the eta; 0 when none.</summary>
    public long EtaTicks { get; set; }

    /// <summary>UTC ticks when the runner last learnt this job is pending (load or notification).</summary>
    public long SeenTicks { get; set; }

    public int HeapIndex { get; set; } = -1;

    public ScheduledJobState State
    {
        get => (ScheduledJobState)((_packed & StateMask) >> StateShift);
        set => _packed = (_packed & ~StateMask) | ((int)value << StateShift);
    }

    public string UuidString => UuidText ?? Uuid.ToString("D");

    /// <summary>Total order within a channel: (priority, date_created, id), then database and uuid so ties never depend on insertion.</summary>
    public static int CompareByPriority(ScheduledJob a, ScheduledJob b)
    {
        var c = a.Priority.CompareTo(b.Priority);
        if (c != 0)
        {
            return c;
        }

        c = a.CreatedTicks.CompareTo(b.CreatedTicks);
        if (c != 0)
        {
            return c;
        }

        c = a.Id.CompareTo(b.Id);
        if (c != 0)
        {
            return c;
        }

        c = a.DatabaseIndex.CompareTo(b.DatabaseIndex);
        if (c != 0)
        {
            return c;
        }

        c = a.Uuid.CompareTo(b.Uuid);
        return c != 0 ? c : string.CompareOrdinal(a.UuidText, b.UuidText);
    }

    public static int CompareByEta(ScheduledJob a, ScheduledJob b)
    {
        var c = a.EtaTicks.CompareTo(b.EtaTicks);
        return c != 0 ? c : CompareByPriority(a, b);
    }
}

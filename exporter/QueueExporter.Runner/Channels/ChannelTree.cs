namespace QueueExporter.Runner.Channels;

/// <summary>
/// The channel hierarchy built from configuration: root always exists (capacity 1 unless configured,
/// as in OCA), parents of configured channels exist implicitly with unlimited capacity, and a job's
/// channel name resolves to the nearest existing node on its path (so <c>root.a.b</c> runs within
/// <c>root.a</c>'s limits when only <c>root.a</c> is configured).
/// <para>
/// A job whose channel is not itself a node is in an unconfigured subchannel of that node. OCA creates a
/// channel for it below the node (unlimited, neither sequential nor throttled): the job passes through the
/// node's limits, but its failure or its eta is not the node's own, so it never stops a sequential node.
/// Such channels impose nothing of their own, so one set of queues per node stands for all of them.
/// </para>
/// </summary>
internal sealed class ChannelTree
{
    public const string RootName = "root";

    private readonly Dictionary<string, ChannelNode> _byName = new(StringComparer.Ordinal);

    // Job channel names are few and repeat millions of times: resolve each distinct string once.
    private readonly Dictionary<string, (ChannelNode Node, bool InSubchannel)> _resolved = new(StringComparer.Ordinal);

    public ChannelTree(IReadOnlyList<ChannelConfiguration> configurations)
    {
        ArgumentNullException.ThrowIfNull(configurations);
        var rootConfiguration = configurations.FirstOrDefault(c => c.Name == RootName) ?? new ChannelConfiguration(RootName, Capacity: 1);
        Root = new ChannelNode(rootConfiguration, parent: null, configured: true);
        _byName[RootName] = Root;
        var ordered = configurations.Where(c => c.Name != RootName).OrderBy(c => c.Name.Count(ch => ch == '.'));
        foreach (var configuration in ordered)
        {
            var parent = EnsureImplicitParents(configuration.Name);
            if (_byName.ContainsKey(configuration.Name))
            {
                throw new ChannelConfigurationException($"invalid channels configuration: channel {configuration.Name} is configured more than once");
            }

            _byName[configuration.Name] = new ChannelNode(configuration, parent, configured: true);
        }

        Nodes = [.. _byName.Values.OrderBy(n => n.Name, StringComparer.Ordinal)];
    }

    public ChannelNode Root { get; }

    /// <summary>Every node, sorted by name.</summary>
    public IReadOnlyList<ChannelNode> Nodes { get; }

    /// <summary>
    /// The node whose limits apply to a job of channel <paramref name="jobChannel"/>;
    /// <paramref name="inSubchannel"/> tells whether the job is in an unconfigured subchannel of it.
    /// </summary>
    public ChannelNode Resolve(string? jobChannel, out bool inSubchannel)
    {
        var key = jobChannel ?? string.Empty;
        if (_resolved.TryGetValue(key, out var cached))
        {
            inSubchannel = cached.InSubchannel;
            return cached.Node;
        }

        var name = ChannelConfigurationParser.FullName(jobChannel);
        inSubchannel = false;
        ChannelNode? node;
        while (!_byName.TryGetValue(name, out node))
        {
            inSubchannel = true;
            var cut = name.LastIndexOf('.');
            name = cut <= 0 ? RootName : name[..cut];
        }

        // Bounded: job channel names come from the table; a pathological table could hold many, so stop caching at a limit.
        if (_resolved.Count < 100_000)
        {
            _resolved[key] = (node, inSubchannel);
        }

        return node;
    }

    private ChannelNode EnsureImplicitParents(string fullName)
    {
        var segments = fullName.Split('.');
        var node = Root;
        for (var i = 1; i < segments.Length - 1; i++)
        {
            var name = string.Join('.', segments, 0, i + 1);
            if (!_byName.TryGetValue(name, out var next))
            {
                next = new ChannelNode(new ChannelConfiguration(name, Capacity: 0), node, configured: false);
                _byName[name] = next;
            }

            node = next;
        }

        return node;
    }
}

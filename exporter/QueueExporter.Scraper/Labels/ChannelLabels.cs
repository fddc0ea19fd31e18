namespace QueueExporter.Scraper.Labels;

/// <summary>
/// Bounds the <c>channel</c> label of one database's series. The first <c>maxNamed</c> channels
/// seen keep their (truncated) name; later ones share the label <see cref="Other"/>. A label not
/// seen for <c>idleAfter</c> is expired, which frees its slot for a new channel: without that, the
/// names taken once by short-lived channels (one per tenant, per import) would be held forever.
/// <c>root</c> is always named, never expires and takes no slot. Pure: the caller passes the time.
/// </summary>
public sealed class ChannelLabels
{
    /// <summary>Label of the channels beyond the named ones.</summary>
    public const string Other = "other";

    /// <summary>The root channel, always exported.</summary>
    public const string Root = "root";

    private readonly int _maxNamed;
    private readonly TimeSpan _idleAfter;
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);

    /// <summary>Creates the bound: <paramref name="maxNamed"/> channels keep their name; labels idle for <paramref name="idleAfter"/> expire.</summary>
    public ChannelLabels(int maxNamed, TimeSpan idleAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxNamed);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idleAfter, TimeSpan.Zero);
        _maxNamed = maxNamed;
        _idleAfter = idleAfter;
    }

    /// <summary>Labels currently exported (root, named channels, and other when used).</summary>
    public IReadOnlyCollection<string> Current => [Root, .. _lastSeen.Keys.Where(label => label != Root)];

    /// <summary>The label of <paramref name="channel"/>, which is marked as seen at <paramref name="now"/>.</summary>
    public string Touch(string channel, DateTimeOffset now)
    {
        var label = Peek(channel);
        if (label != Root)
        {
            _lastSeen[label] = _lastSeen.TryGetValue(label, out var seen) && seen > now ? seen : now;
        }

        return label;
    }

    /// <summary>The label <paramref name="channel"/> would get now, without marking it as seen or taking a slot.</summary>
    public string Peek(string channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var name = LabelValues.Truncate(channel);
        if (name == Root || _lastSeen.ContainsKey(name))
        {
            return name;
        }

        var named = _lastSeen.Count - (_lastSeen.ContainsKey(Other) ? 1 : 0);
        return named < _maxNamed && name != Other ? name : Other;
    }

    /// <summary>Forgets the labels not seen since <paramref name="now"/> minus the idle time, and returns them.</summary>
    public IReadOnlyList<string> Expire(DateTimeOffset now)
    {
        var expired = _lastSeen.Where(entry => now - entry.Value >= _idleAfter).Select(entry => entry.Key).ToList();
        foreach (var label in expired)
        {
            _lastSeen.Remove(label);
        }

        return expired;
    }
}

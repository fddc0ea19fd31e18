namespace QueueExporter.Scraper.Labels;

/// <summary>
/// Bounds the <c>channel</c> label of one database's series. The first <c>maxNamed</c> channels
/// seen keep their (truncated) name, as long as the named labels together stay within
/// <see cref="MaxNamedCharacters"/>; later ones share the label <see cref="Other"/>. Every named
/// channel costs a few dozen series, each of which repeats its name, so the size of /metrics
/// follows the names' total length as much as their number: 200 names at the 100-character cut
/// would make it 1.7 MB. A label not
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

    /// <summary>Characters the named labels (root and other excluded) may take together: 200 names of 20 characters.</summary>
    public const int MaxNamedCharacters = 4_000;

    private readonly int _maxNamed;
    private readonly TimeSpan _idleAfter;
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);
    private int _namedCharacters;

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
            if (!_lastSeen.TryGetValue(label, out var seen))
            {
                _namedCharacters += NamedLength(label);
            }

            _lastSeen[label] = seen > now ? seen : now;
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
        return named < _maxNamed && name != Other && _namedCharacters + name.Length <= MaxNamedCharacters ? name : Other;
    }

    /// <summary>Forgets the labels not seen since <paramref name="now"/> minus the idle time, and returns them.</summary>
    public IReadOnlyList<string> Expire(DateTimeOffset now)
    {
        var expired = _lastSeen.Where(entry => now - entry.Value >= _idleAfter).Select(entry => entry.Key).ToList();
        foreach (var label in expired)
        {
            _lastSeen.Remove(label);
            _namedCharacters -= NamedLength(label);
        }

        return expired;
    }

    private static int NamedLength(string label) => label == Other ? 0 : label.Length;
}

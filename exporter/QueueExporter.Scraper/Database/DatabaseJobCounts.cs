using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper.Labels;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// One database's job counts as they will be exported, merged from three sources that run on
/// their own clocks: the frequent refresh (unfinished states, with oldest moments), the slow
/// terminal count (done, cancelled, failed per channel) and the completion follower (each
/// completion seen since the last terminal count is added on top of it, so terminal gauges move
/// between counts). Pure and not thread-safe: <see cref="ScraperMetrics"/> owns one per database
/// and serialises access to it.
/// </summary>
/// <remarks>
/// Counts are kept per channel label (<see cref="ChannelLabels"/>), summed when several channels
/// share <c>other</c>. A completion counted during a terminal count may be in both the count and
/// the follower's additions: the total is then one too high until the next count. Jobs leaving a
/// terminal state (a failed job requeued) are subtracted when the follower saw them complete.
/// </remarks>
public sealed class DatabaseJobCounts
{
    private readonly ChannelLabels _channels;
    private readonly Dictionary<(string Label, string State), (long Count, DateTimeOffset? OldestSince)> _active = [];
    private readonly Dictionary<string, Dictionary<string, long>> _terminalCounted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, long>> _terminalBaselines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, long>> _completionsSoFar = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _terminalExact = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _activeStates = [];

    /// <summary>Creates an empty book whose channel labels are bounded by <paramref name="channels"/>.</summary>
    public DatabaseJobCounts(ChannelLabels channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        _channels = channels;
    }

    /// <summary>The moment the unfinished states were last read (ages are measured to it).</summary>
    public DateTimeOffset? ActiveReadAt { get; private set; }

    /// <summary>The label <paramref name="channel"/> is exported under, marking it as seen.</summary>
    public string LabelFor(string channel, DateTimeOffset now) => _channels.Touch(channel, now);

    /// <summary>Replaces the unfinished states' counts with a reading finished at <paramref name="readAt"/>.</summary>
    public void SetActive(IReadOnlyList<string> states, IReadOnlyList<JobStateCount> counts, DateTimeOffset readAt)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(counts);
        _activeStates = [.. states];
        _active.Clear();
        foreach (var count in counts)
        {
            var key = (LabelFor(count.Channel, readAt), count.State);
            if (_active.TryGetValue(key, out var previous))
            {
                // Several channels share this label: add the counts, keep the earliest moment.
                var oldest = previous.OldestSince is null || (count.OldestSince is { } since && since < previous.OldestSince)
                    ? count.OldestSince
                    : previous.OldestSince;
                _active[key] = (previous.Count + count.Count, oldest);
            }
            else
            {
                _active[key] = (count.Count, count.OldestSince);
            }
        }

        ActiveReadAt = readAt;
    }

    /// <summary>Call just before counting <paramref name="state"/>; pass the result to <see cref="SetTerminal"/>.</summary>
    public TerminalCountBaseline BeginTerminalCount(string state) =>
        new(state, new Dictionary<string, long>(CompletionsOf(state), StringComparer.Ordinal));

    /// <summary>
    /// Whether a terminal state's per-channel total rests on an exact count (true), on the planner's
    /// estimate (false), or is not exported (null).
    /// </summary>
    public bool? IsExact(string state) => _terminalExact.TryGetValue(state, out var exact) ? exact : null;

    /// <summary>
    /// Sets the per-channel total of a terminal state, read after <paramref name="baseline"/> was
    /// taken: an exact count, or (<paramref name="exact"/> false) the planner's estimate split per channel.
    /// </summary>
    public void SetTerminal(TerminalCountBaseline baseline, IReadOnlyList<JobStateCount> counts, DateTimeOffset now, bool exact = true)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(counts);
        var byLabel = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var count in counts.Where(c => c.Count > 0))
        {
            var label = LabelFor(count.Channel, now);
            byLabel[label] = byLabel.GetValueOrDefault(label) + count.Count;
        }

        _terminalCounted[baseline.State] = byLabel;
        _terminalExact[baseline.State] = exact;
        _terminalBaselines[baseline.State] = new Dictionary<string, long>(baseline.CompletionsSoFar, StringComparer.Ordinal);
    }

    /// <summary>Stops exporting <paramref name="state"/> per channel (it is no longer counted exactly).</summary>
    public void ForgetTerminal(string state)
    {
        _terminalCounted.Remove(state);
        _terminalBaselines.Remove(state);
        _terminalExact.Remove(state);
    }

    /// <summary>
    /// Adds a change seen by the follower to a terminal state's total: +1 for a completion into it,
    /// -1 for a job that left it. <paramref name="label"/> comes from <see cref="LabelFor"/>.
    /// </summary>
    public void AddCompletion(string label, string state, int delta = 1)
    {
        var completions = CompletionsOf(state);
        completions[label] = completions.GetValueOrDefault(label) + delta;
    }

    /// <summary>
    /// Forgets the channel labels idle since <paramref name="now"/> minus the idle time and returns
    /// them, so their series can be removed. Call before applying a new reading, so that a slot
    /// freed now goes to a channel of that reading.
    /// </summary>
    public IReadOnlyList<string> ExpireIdle(DateTimeOffset now)
    {
        var expired = _channels.Expire(now);
        foreach (var label in expired)
        {
            Forget(label);
        }

        return expired;
    }

    /// <summary>What to export: the states with a value per channel label, and each (label, state) count and oldest moment.</summary>
    public JobCountsSnapshot Snapshot()
    {
        var states = _activeStates.Concat(JobStatesInOrder(_terminalCounted.Keys)).ToList();
        var values = new Dictionary<(string Label, string State), (long Count, DateTimeOffset? OldestSince)>();
        foreach (var label in _channels.Current)
        {
            foreach (var state in _activeStates)
            {
                values[(label, state)] = _active.GetValueOrDefault((label, state));
            }

            foreach (var (state, counted) in _terminalCounted)
            {
                var since = CompletionsOf(state).GetValueOrDefault(label) - _terminalBaselines[state].GetValueOrDefault(label);
                values[(label, state)] = (Math.Max(0, counted.GetValueOrDefault(label) + since), null);
            }
        }

        return new JobCountsSnapshot(states, values, ActiveReadAt);
    }

    private static IEnumerable<string> JobStatesInOrder(IEnumerable<string> states)
    {
        var set = states.ToHashSet(StringComparer.Ordinal);
        return JobStates.All.Where(set.Contains);
    }

    private Dictionary<string, long> CompletionsOf(string state)
    {
        if (!_completionsSoFar.TryGetValue(state, out var completions))
        {
            completions = new Dictionary<string, long>(StringComparer.Ordinal);
            _completionsSoFar[state] = completions;
        }

        return completions;
    }

    private void Forget(string label)
    {
        foreach (var key in _active.Keys.Where(k => k.Label == label).ToList())
        {
            _active.Remove(key);
        }

        foreach (var counted in _terminalCounted.Values)
        {
            counted.Remove(label);
        }

        // The follower's additions and their baselines go together (their difference is what
        // counts), so a long run of short-lived channels leaves nothing behind.
        foreach (var completions in _completionsSoFar.Values)
        {
            completions.Remove(label);
        }

        foreach (var baseline in _terminalBaselines.Values)
        {
            baseline.Remove(label);
        }
    }
}

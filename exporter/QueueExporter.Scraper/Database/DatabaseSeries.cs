using QueueExporter.Scraper.Labels;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// What <see cref="ScraperMetrics"/> remembers of one database between renders: its merged job
/// counts, the (label, state) series it exported last (so that series no longer exported are
/// removed) and the bounded (channel, exception) pairs of <c>queue_job_failures_total</c>.
/// Not thread-safe: callers hold the instance's lock.
/// </summary>
internal sealed class DatabaseSeries(DatabaseJobCounts counts)
{
    /// <summary>
    /// (channel, exception) pairs per database that keep the exception's name in
    /// <c>queue_job_failures_total</c>; later pairs count under <c>exception="other"</c> in their
    /// channel. Without it 200 channels × 21 exception labels could make 4,200 series.
    /// </summary>
    public const int MaxFailurePairs = 200;

    private readonly Dictionary<string, HashSet<string>> _exceptions = new(StringComparer.Ordinal);
    private int _failurePairs;

    public DatabaseJobCounts Counts { get; } = counts;

    public HashSet<(string Label, string State)> Jobs { get; set; } = [];

    public HashSet<(string Label, string State)> Ages { get; set; } = [];

    /// <summary>The exception label a failure of this channel label is counted under (see <see cref="MaxFailurePairs"/>).</summary>
    public string FailureLabel(string label, string exception)
    {
        var exceptions = ExceptionsOf(label);
        if (exceptions.Contains(exception))
        {
            return exception;
        }

        if (exception == FirstSeenLabels.Other || _failurePairs >= MaxFailurePairs)
        {
            exceptions.Add(FirstSeenLabels.Other);
            return FirstSeenLabels.Other;
        }

        exceptions.Add(exception);
        _failurePairs++;
        return exception;
    }

    /// <summary>Forgets a channel label's exception pairs, freeing their places for other channels.</summary>
    public void ForgetFailures(string label)
    {
        if (_exceptions.Remove(label, out var exceptions))
        {
            _failurePairs -= exceptions.Count(e => e != FirstSeenLabels.Other);
        }
    }

    /// <summary>The exception labels counted so far for a channel label.</summary>
    public HashSet<string> ExceptionsOf(string label)
    {
        if (!_exceptions.TryGetValue(label, out var exceptions))
        {
            exceptions = new HashSet<string>(StringComparer.Ordinal);
            _exceptions[label] = exceptions;
        }

        return exceptions;
    }
}

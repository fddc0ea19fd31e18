namespace QueueExporter.Scraper.Database;

/// <summary>
/// What PostgreSQL's planner knows about <c>queue_job.channel</c> (<c>pg_stats</c>): enough to
/// split a terminal state's estimated rows per channel the way the planner estimates
/// <c>WHERE state = $1 AND channel = $2</c>, assuming the two columns independent.
/// </summary>
/// <remarks>
/// The assumption is wrong wherever a channel fails or is cancelled more than others, which is
/// why the split is used only until an exact count replaces it, or for a state too large to count
/// (and <c>queue_job_jobs_exact</c> says which). Channels too rare to be among the most common
/// values get no share: their rows stay only in the per-database <c>queue_job_jobs_estimated</c>.
/// </remarks>
/// <param name="NullFraction">Fraction of rows without a channel (exported as root, like the counts).</param>
/// <param name="MostCommonValues">pg_stats.most_common_vals.</param>
/// <param name="MostCommonFrequencies">pg_stats.most_common_freqs, one per value.</param>
public sealed record ChannelStatistics(
    double NullFraction,
    IReadOnlyList<string> MostCommonValues,
    IReadOnlyList<double> MostCommonFrequencies)
{
    /// <summary>Splits <paramref name="stateRows"/> rows of <paramref name="state"/> over the common channels.</summary>
    public IReadOnlyList<JobStateCount> Split(string state, double stateRows)
    {
        var shares = new Dictionary<string, double>(StringComparer.Ordinal);
        if (MostCommonValues.Count == MostCommonFrequencies.Count)
        {
            for (var i = 0; i < MostCommonValues.Count; i++)
            {
                shares[MostCommonValues[i]] = shares.GetValueOrDefault(MostCommonValues[i]) + MostCommonFrequencies[i];
            }
        }

        if (NullFraction > 0)
        {
            shares["root"] = shares.GetValueOrDefault("root") + NullFraction;
        }

        return [.. shares.Select(s => new JobStateCount(s.Key, state, (long)Math.Round(stateRows * s.Value), null))];
    }
}

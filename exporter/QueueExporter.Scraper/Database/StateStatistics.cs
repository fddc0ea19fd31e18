namespace QueueExporter.Scraper.Database;

/// <summary>
/// What PostgreSQL's planner knows about <c>queue_job.state</c>: the table's row count
/// (<c>pg_class.reltuples</c>, scaled to the table's current size as the planner does) and the
/// column's statistics from <c>pg_stats</c>. Both are kept up to date by autovacuum's ANALYZE, so
/// reading them costs nothing however large the table is; the price is that they lag behind.
/// </summary>
/// <param name="Rows">Estimated rows in the table; negative when the table was never analysed.</param>
/// <param name="NullFraction">Fraction of rows whose state is NULL.</param>
/// <param name="DistinctValues">pg_stats.n_distinct: a count when positive, minus a fraction of the rows when negative.</param>
/// <param name="MostCommonValues">pg_stats.most_common_vals.</param>
/// <param name="MostCommonFrequencies">pg_stats.most_common_freqs, one per value.</param>
public sealed record StateStatistics(
    double Rows,
    double NullFraction,
    double DistinctValues,
    IReadOnlyList<string> MostCommonValues,
    IReadOnlyList<double> MostCommonFrequencies)
{
    /// <summary>
    /// Estimated rows in <paramref name="state"/>, or null when the table was never analysed. A
    /// state among the most common values takes its frequency; any other shares what the common
    /// values leave, evenly among the remaining distinct values (the planner's own rule).
    /// </summary>
    public double? EstimateRows(string state)
    {
        if (Rows < 0 || MostCommonValues.Count != MostCommonFrequencies.Count)
        {
            return null;
        }

        for (var i = 0; i < MostCommonValues.Count; i++)
        {
            if (string.Equals(MostCommonValues[i], state, StringComparison.Ordinal))
            {
                return Math.Round(Rows * MostCommonFrequencies[i]);
            }
        }

        var distinct = DistinctValues < 0 ? -DistinctValues * Rows : DistinctValues;
        var others = distinct - MostCommonValues.Count;
        var left = 1 - NullFraction - MostCommonFrequencies.Sum();
        return others >= 1 && left > 0 ? Math.Round(Rows * left / others) : 0;
    }
}

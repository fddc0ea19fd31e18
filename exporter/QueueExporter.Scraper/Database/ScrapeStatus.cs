using System.Collections.Concurrent;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// The latest outcome of each database's refresh, written by <see cref="ScraperMetrics"/> as it publishes
/// and read by /healthz and the status page: a read-only view that never touches the refresh loops.
/// </summary>
public sealed class ScrapeStatus
{
    private static readonly IReadOnlyDictionary<string, long> NoJobs = new Dictionary<string, long>(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ScrapedDatabase> _databases = new(StringComparer.Ordinal);

    /// <summary>Every database refreshed at least once (successfully or not), sorted by name.</summary>
    public IReadOnlyList<ScrapedDatabase> Databases => [.. _databases.Values.OrderBy(d => d.Database, StringComparer.Ordinal)];

    internal void Counts(string database, IReadOnlyList<JobStateCount> counts)
    {
        var byState = counts.GroupBy(c => c.State, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Count), StringComparer.Ordinal);
        Update(database, d => d with { JobsByState = byState });
    }

    internal void RunnerSessions(string database, int sessions) => Update(database, d => d with { RunnerSessions = sessions });

    internal void MarkUp(string database, DateTimeOffset now) => Update(database, d => d with { Up = true, LastSuccess = now, Error = null });

    internal void MarkDown(string database, string? error) => Update(database, d => d with { Up = false, Error = error ?? "refresh failed" });

    private void Update(string database, Func<ScrapedDatabase, ScrapedDatabase> change) =>
        _databases.AddOrUpdate(database, name => change(new ScrapedDatabase(name, false, null, null, NoJobs, 0)), (_, current) => change(current));
}

namespace QueueExporter.Scraper.Database;

/// <summary>What <see cref="DatabaseJobCounts.Snapshot"/> says to export for one database.</summary>
/// <param name="States">States exported for every channel label, in lifecycle order.</param>
/// <param name="Values">Count and, for aged unfinished states, the oldest moment, per (label, state).</param>
/// <param name="ActiveReadAt">When the unfinished states were read; ages are measured to this moment.</param>
public sealed record JobCountsSnapshot(
    IReadOnlyList<string> States,
    IReadOnlyDictionary<(string Label, string State), (long Count, DateTimeOffset? OldestSince)> Values,
    DateTimeOffset? ActiveReadAt);

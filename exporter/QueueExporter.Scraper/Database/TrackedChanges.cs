namespace QueueExporter.Scraper.Database;

/// <summary>What <see cref="CompletionTracker.ObserveChanges"/> found in a batch of changed rows.</summary>
/// <param name="Completions">Jobs that reached done, failed or cancelled, each counted once.</param>
/// <param name="Exits">Jobs that left a terminal state the tracker remembered them in.</param>
/// <param name="Retries">Per channel, how far the retry counters of the jobs read went up since the tracker last read them.</param>
public sealed record TrackedChanges(IReadOnlyList<JobCompletion> Completions, IReadOnlyList<JobStateExit> Exits, IReadOnlyDictionary<string, int>? Retries = null);

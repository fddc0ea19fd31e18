namespace QueueExporter.Scraper.Database;

/// <summary>What the scraper last learned of one database, for /healthz and the status page.</summary>
/// <param name="Database">The database name.</param>
/// <param name="Up">Whether the last refresh succeeded.</param>
/// <param name="LastSuccess">When a refresh last succeeded; null if none has yet.</param>
/// <param name="Error">Why the last refresh failed (one line, no credentials); null when it succeeded.</param>
/// <param name="JobsByState">Unfinished jobs per state, from the last successful refresh.</param>
/// <param name="RunnerSessions">Sessions of a job runner seen on the database at the last refresh.</param>
public sealed record ScrapedDatabase(string Database, bool Up, DateTimeOffset? LastSuccess, string? Error, IReadOnlyDictionary<string, long> JobsByState, int RunnerSessions);

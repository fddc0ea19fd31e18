namespace QueueExporter.Scraper.Database;

/// <summary>Jobs of one channel in one state, with the moment the oldest of them started waiting.</summary>
/// <param name="Channel">The channel, e.g. <c>root.mail</c>.</param>
/// <param name="State">The state.</param>
/// <param name="Count">How many jobs.</param>
/// <param name="OldestSince">
/// pending: the earliest moment a runnable job became runnable (later of date_created and eta);
/// enqueued: the earliest date_enqueued; started: the earliest date_started; else null.
/// </param>
public sealed record JobStateCount(string Channel, string State, long Count, DateTimeOffset? OldestSince);

namespace QueueExporter.Scraper.Logs;

/// <summary>What one physical log line contributed.</summary>
/// <param name="Level">The level label: the record's level (also for its continuation lines), or <see cref="LogLevels.Unparsed"/>.</param>
/// <param name="Event">The queue_job event the line starts, or null (always null for continuation lines).</param>
/// <param name="Timestamp">The record timestamp when the line is a record header, else null.</param>
public readonly record struct LogLineOutcome(string Level, string? Event, DateTimeOffset? Timestamp);

namespace QueueExporter.Scraper.Database;

/// <summary>
/// The facts the completion follower reads of one queue_job row. Columns a table's version lacks
/// (exc_name and exec_time in old 12.0, date_cancelled before 14.0) are null. <c>Function</c> is
/// <c>model_name.method_name</c>, null when either is. <c>Retry</c> is the row's retry counter.
/// </summary>
public sealed record JobRow(
    string Uuid,
    string State,
    string Channel,
    string? ExceptionName,
    double? ExecTimeSeconds,
    DateTimeOffset? DateCreated,
    DateTimeOffset? Eta,
    DateTimeOffset? DateStarted,
    DateTimeOffset? DateDone,
    DateTimeOffset? DateCancelled,
    string? Function = null,
    int? Retry = null);

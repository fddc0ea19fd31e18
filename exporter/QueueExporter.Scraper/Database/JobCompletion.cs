namespace QueueExporter.Scraper.Database;

/// <summary>One job that reached done, failed or cancelled, counted once.</summary>
/// <param name="Channel">The job's channel.</param>
/// <param name="State">done, failed or cancelled.</param>
/// <param name="DurationSeconds">Execution time of a done job (exec_time, else date_done - date_started), when known.</param>
/// <param name="WaitSeconds">From runnable (later of date_created and eta) to date_started, when known.</param>
/// <param name="ExceptionLabel">For a failed job, the bounded exception label; else null.</param>
/// <param name="FunctionLabel">The bounded <c>model_name.method_name</c> label; null when not known.</param>
/// <param name="LatencySeconds">Of a done job, from date_created to date_done (queueing, waiting and running), when known.</param>
public sealed record JobCompletion(
    string Channel,
    string State,
    double? DurationSeconds,
    double? WaitSeconds,
    string? ExceptionLabel,
    string? FunctionLabel = null,
    double? LatencySeconds = null);

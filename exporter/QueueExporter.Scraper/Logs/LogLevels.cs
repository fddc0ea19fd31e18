namespace QueueExporter.Scraper.Logs;

/// <summary>
/// The level label values of <c>queue_job_log_lines_total</c>. The set is closed so that a
/// garbled file cannot create unbounded series.
/// </summary>
public static class LogLevels
{
    public const string Debug = "debug";
    public const string Info = "info";
    public const string Warning = "warning";
    public const string Error = "error";
    public const string Critical = "critical";

    /// <summary>A level word Odoo may write that is none of the above (e.g. a custom level).</summary>
    public const string Other = "other";

    /// <summary>A line that belongs to no record: garbled, binary, invalid UTF-8, or too long.</summary>
    public const string Unparsed = "unparsed";

    /// <summary>Maps Odoo's <c>levelname</c> to a bounded label value.</summary>
    public static string FromLevelName(ReadOnlySpan<char> levelName) => levelName switch
    {
        "DEBUG" => Debug,
        "INFO" => Info,
        "WARNING" or "WARN" => Warning,
        "ERROR" => Error,
        "CRITICAL" or "FATAL" => Critical,
        _ => Other,
    };
}

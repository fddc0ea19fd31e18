using Prometheus;

namespace QueueExporter.Scraper.Logs;

/// <summary>The log-tail metrics, registered on the given registry.</summary>
public sealed class LogMetrics
{
    private readonly Counter _lines;
    private readonly Counter _events;
    private readonly Gauge _lastLineTimestamp;

    /// <summary>Creates the metric families on <paramref name="registry"/>.</summary>
    public LogMetrics(CollectorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var factory = Metrics.WithCustomRegistry(registry);
        _lines = factory.CreateCounter(
            "queue_job_log_lines_total",
            "Lines read from an Odoo log file, by the level of the record they belong to (traceback lines count with their record; unparsed: junk, invalid UTF-8, over-long, or text outside any record).",
            "file", "level");
        _events = factory.CreateCounter(
            "queue_job_log_events_total",
            "queue_job events seen in an Odoo log file (one per record, a traceback included).",
            "file", "event");
        _lastLineTimestamp = factory.CreateGauge(
            "queue_job_log_last_line_timestamp_seconds",
            "Timestamp written on the last record read from the file (Unix seconds, the log's time read as UTC).",
            "file");
    }

    /// <summary>Records what one line contributed.</summary>
    public void Record(string file, LogLineOutcome outcome)
    {
        _lines.WithLabels(file, outcome.Level).Inc();
        if (outcome.Event is { } logEvent)
        {
            _events.WithLabels(file, logEvent).Inc();
        }

        if (outcome.Timestamp is { } timestamp)
        {
            _lastLineTimestamp.WithLabels(file).Set(timestamp.ToUnixTimeMilliseconds() / 1000.0);
        }
    }
}

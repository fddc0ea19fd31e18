using Prometheus;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// How the scraper's own reads of a database fare: up, last success, duration, errors and period
/// of the frequent refresh, whether the monitoring index serves it, and when each slow-cadence
/// reconciliation last succeeded. These say how stale the job gauges are; they never describe jobs.
/// </summary>
internal sealed class ScrapeHealthMetrics
{
    private readonly Gauge _up;
    private readonly Gauge _lastSuccess;
    private readonly Gauge _scrapeDuration;
    private readonly Counter _scrapeErrors;
    private readonly Gauge _refreshPeriod;
    private readonly Gauge _monitoringIndex;
    private readonly Gauge _reconcileLastSuccess;

    public ScrapeHealthMetrics(MetricFactory factory)
    {
        _up = factory.CreateGauge("queue_job_scrape_up", "1 when the last refresh of the database succeeded, else 0 (the gauges keep their last values).", "database");
        _lastSuccess = factory.CreateGauge("queue_job_scrape_last_success_timestamp_seconds", "Unix time of the last successful refresh of the database: the age of its gauges is time() minus this.", "database");
        _scrapeDuration = factory.CreateGauge("queue_job_scrape_duration_seconds", "Wall time of the last refresh of the database.", "database");
        _scrapeErrors = factory.CreateCounter("queue_job_scrape_errors_total", "Refreshes of the database that failed.", "database");
        _refreshPeriod = factory.CreateGauge(
            "queue_job_scrape_period_seconds",
            "Time between two refreshes of the database: --interval, stretched while refreshes are slow (to four times the last refresh's duration, at most eight times --interval).",
            "database");
        _monitoringIndex = factory.CreateGauge(
            "queue_job_scrape_monitoring_index",
            "1 when the database has the optional queue_job_monitoring_index (schema install --monitoring-index), so the refresh is an index-only scan; else 0.",
            "database");
        _reconcileLastSuccess = factory.CreateGauge(
            "queue_job_reconcile_last_success_timestamp_seconds",
            "Unix time of the last successful slow-cadence reconciliation of the database: what=done|cancelled|failed for the exact count of that state in queue_job_jobs, what=unfinished for the completion follower's comparison with the unfinished jobs. A reconciliation that fails or times out leaves it behind and keeps the last values.",
            "database", "what");
    }

    public void MarkUp(string database, TimeSpan duration, DateTimeOffset now)
    {
        _up.WithLabels(database).Set(1);
        _lastSuccess.WithLabels(database).Set(UnixSeconds(now));
        _scrapeDuration.WithLabels(database).Set(duration.TotalSeconds);
        _scrapeErrors.WithLabels(database);
    }

    public void MarkDown(string database, TimeSpan duration)
    {
        _up.WithLabels(database).Set(0);
        _scrapeDuration.WithLabels(database).Set(duration.TotalSeconds);
        _scrapeErrors.WithLabels(database).Inc();
    }

    public void PublishRefreshPeriod(string database, TimeSpan period) => _refreshPeriod.WithLabels(database).Set(period.TotalSeconds);

    public void PublishMonitoringIndex(string database, bool present) => _monitoringIndex.WithLabels(database).Set(present ? 1 : 0);

    public void MarkReconciled(string database, string what, DateTimeOffset now) => _reconcileLastSuccess.WithLabels(database, what).Set(UnixSeconds(now));

    private static double UnixSeconds(DateTimeOffset now) => now.ToUnixTimeMilliseconds() / 1000.0;
}

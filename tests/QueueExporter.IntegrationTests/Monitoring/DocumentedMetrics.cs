namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The metric names the exporters are documented to serve (issues 3: runner, 4: worker,
/// 5: scraper), in one place. Dashboards and alert rules may use only these (and Prometheus'
/// own <c>up</c>). When the exporters land, the end-to-end test checks the same names against
/// their live /metrics output.
/// </summary>
internal static class DocumentedMetrics
{
    /// <summary>Histograms: Prometheus exposes them as name_bucket, name_sum and name_count.</summary>
    public static IReadOnlySet<string> Histograms { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "queue_runner_dispatch_latency_seconds",
        "queue_runner_dispatch_duration_seconds",
        // The issue gives no type; a duration per iteration is a histogram in this codebase's style.
        "queue_runner_loop_duration_seconds",
        "queue_worker_job_duration_seconds",
        "queue_job_duration_seconds",
        "queue_job_wait_seconds",
        "queue_job_function_duration_seconds",
        "queue_job_function_latency_seconds",
    };

    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        // Prometheus' own per-target series.
        "up",

        // Runner (issue 3).
        "queue_runner_heartbeat_timestamp_seconds",
        "queue_runner_leader",
        "queue_runner_database_up",
        "queue_runner_notifications_total",
        "queue_runner_db_reconnects_total",
        "queue_runner_channel_capacity",
        "queue_runner_channel_jobs",
        "queue_runner_dispatch_latency_seconds",
        "queue_runner_dispatch_duration_seconds",
        "queue_runner_dispatches_total",
        "queue_runner_rescued_jobs_total",
        "queue_runner_loop_duration_seconds",

        // Runner fleet (issue 15).
        "queue_runner_databases_led",
        "queue_runner_databases_assigned",
        "queue_runner_fleet_replicas",
        "queue_runner_fleet_slot",
        "queue_runner_capacity_scope",
        "queue_runner_handovers_total",

        // Every component (issue 13): which build runs, by component.
        "queue_exporter_build_info",

        // Worker (issue 4).
        "queue_worker_jobs_total",
        "queue_worker_job_duration_seconds",
        "queue_worker_jobs_running",
        "queue_worker_requests_refused_total",

        // Scraper (issue 5).
        "queue_job_jobs",
        "queue_job_oldest_age_seconds",
        "queue_job_completed_total",
        "queue_job_duration_seconds",
        "queue_job_wait_seconds",
        "queue_job_failures_total",
        "queue_job_runner_sessions",
        "queue_job_scrape_up",
        // Issue 12: the age of a database's figures, and the done/cancelled/failed estimates.
        "queue_job_scrape_last_success_timestamp_seconds",
        "queue_job_jobs_estimated",
        "queue_job_jobs_exact",
        "queue_job_function_completed_total",
        "queue_job_function_duration_seconds",
        "queue_job_function_latency_seconds",
        "queue_job_scrape_duration_seconds",
        "queue_job_scrape_errors_total",
        "queue_job_scrape_period_seconds",
        "queue_job_retries_total",
        "queue_job_scrape_monitoring_index",
        "queue_job_reconcile_last_success_timestamp_seconds",
        "queue_job_log_lines_total",
        "queue_job_log_events_total",
        "queue_job_log_last_line_timestamp_seconds",
    };

    /// <summary>The documented metric a series name belongs to, or null if it belongs to none.</summary>
    public static string? Resolve(string seriesName)
    {
        // A histogram's own name is no series: a query must name its _bucket, _sum or _count.
        if (Names.Contains(seriesName) && !Histograms.Contains(seriesName))
        {
            return seriesName;
        }

        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (seriesName.EndsWith(suffix, StringComparison.Ordinal)
                && Histograms.Contains(seriesName[..^suffix.Length]))
            {
                return seriesName[..^suffix.Length];
            }
        }

        return null;
    }
}

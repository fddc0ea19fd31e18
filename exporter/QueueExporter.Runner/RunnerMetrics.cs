using Prometheus;

namespace QueueExporter.Runner;

/// <summary>
/// Every metric of the runner (documented in docs/metrics.md, "Runner"). Labels are bounded:
/// database and channel names come from configuration and discovery, outcomes and reasons are fixed
/// sets; never a uuid or URL.
/// </summary>
public sealed class RunnerMetrics
{
    private static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Registers the runner's metrics in <paramref name="registry"/>.</summary>
    public RunnerMetrics(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        Heartbeat = factory.CreateGauge("queue_runner_heartbeat_timestamp_seconds", "Unix time of the runner loop's last completed iteration.");
        Leader = factory.CreateGauge("queue_runner_leader", "1 while this process holds the leader lock on the database.", "database");
        Notifications = factory.CreateCounter("queue_runner_notifications_total", "queue_job notifications received.", "database");
        Reconnects = factory.CreateCounter("queue_runner_db_reconnects_total", "Reconnections of the listening connection after a loss.", "database");
        ChannelCapacity = factory.CreateGauge("queue_runner_channel_capacity", "Configured channel capacity; 0 means unlimited.", "channel");
        ChannelJobs = factory.CreateGauge("queue_runner_channel_jobs", "Jobs the runner holds per channel and state (queued, running, failed, waiting_eta); running includes subchannels.", "channel", "state");
        DispatchLatency = factory.CreateHistogram(
            "queue_runner_dispatch_latency_seconds",
            "From a job becoming runnable for the runner (notification, load or eta) to its runjob request being sent.",
            new HistogramConfiguration { LabelNames = ["channel"], Buckets = LatencyBuckets });
        DispatchDuration = factory.CreateHistogram(
            "queue_runner_dispatch_duration_seconds",
            "Duration of the runjob HTTP call by outcome.",
            new HistogramConfiguration { LabelNames = ["channel", "outcome"], Buckets = LatencyBuckets });
        Dispatches = factory.CreateCounter("queue_runner_dispatches_total", "Dispatch attempts by outcome (ok, http_error, timeout, connection_error, refused, not_pending).", "database", "channel", "outcome");
        RescuedJobs = factory.CreateCounter("queue_runner_rescued_jobs_total", "Dead enqueued/started jobs rescued, by reason (requeued, retries_exhausted).", "database", "reason");
        LoopDuration = factory.CreateHistogram(
            "queue_runner_loop_duration_seconds",
            "Time the runner loop spends per iteration (applying facts, choosing and handing out jobs).",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        DatabaseUp = factory.CreateGauge("queue_runner_database_up", "1 while the database is served: led by this runner or by another one it stands by for; 0 while misconfigured, disconnected or failing.", "database");
        DatabaseRestarts = factory.CreateCounter("queue_runner_database_restarts_total", "Times the work for a database failed unexpectedly and was restarted.", "database");
        SkippedRows = factory.CreateCounter("queue_runner_skipped_rows_total", "Distinct queue_job rows the runner could not schedule as stored (reason: null_uuid, bad_uuid, null_state, unknown_state) or kept with a clamped timestamp (clamped_timestamp).", "database", "reason");
        StaleSignals = factory.CreateCounter("queue_runner_stale_facts_dropped_total", "Facts read under a lease that had already ended, dropped by the runner loop.");
    }

    internal Gauge Heartbeat { get; }

    internal Gauge Leader { get; }

    internal Counter Notifications { get; }

    internal Counter Reconnects { get; }

    internal Gauge ChannelCapacity { get; }

    internal Gauge ChannelJobs { get; }

    internal Histogram DispatchLatency { get; }

    internal Histogram DispatchDuration { get; }

    internal Counter Dispatches { get; }

    internal Counter RescuedJobs { get; }

    internal Histogram LoopDuration { get; }

    internal Gauge DatabaseUp { get; }

    internal Counter DatabaseRestarts { get; }

    internal Counter SkippedRows { get; }

    internal Counter StaleSignals { get; }
}

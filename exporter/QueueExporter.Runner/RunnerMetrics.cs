using Prometheus;

namespace QueueExporter.Runner;

/// <summary>
/// Every metric of the runner (documented in docs/metrics.md, "Runner"). Labels are bounded:
/// server, database and channel names come from configuration and discovery, outcomes and reasons are fixed
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
        Leader = factory.CreateGauge("queue_runner_leader", "1 while this process holds the leader lock on the database.", "server", "database");
        Notifications = factory.CreateCounter("queue_runner_notifications_total", "queue_job notifications received.", "server", "database");
        NotificationsSkipped = factory.CreateCounter("queue_runner_notifications_skipped_total", "Notifications of the runner's own enqueue UPDATE, not re-read (the runner knows what it wrote).", "server", "database");
        Reconnects = factory.CreateCounter("queue_runner_db_reconnects_total", "Reconnections of the listening connection after a loss.", "server", "database");
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
        Dispatches = factory.CreateCounter("queue_runner_dispatches_total", "Dispatch attempts by outcome (ok, http_error, timeout, connection_error, refused, not_pending).", "server", "database", "channel", "outcome");
        RescuedJobs = factory.CreateCounter("queue_runner_rescued_jobs_total", "Dead enqueued/started jobs rescued, by reason (requeued, retries_exhausted).", "server", "database", "reason");
        LoopDuration = factory.CreateHistogram(
            "queue_runner_loop_duration_seconds",
            "Time the runner loop spends per iteration (applying facts, choosing and handing out jobs).",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        DatabaseUp = factory.CreateGauge("queue_runner_database_up", "1 while the database is served: led by this runner or by another one it stands by for; 0 while misconfigured, disconnected or failing.", "server", "database");
        DatabaseRestarts = factory.CreateCounter("queue_runner_database_restarts_total", "Times the work for a database failed unexpectedly and was restarted.", "server", "database");
        SkippedRows = factory.CreateCounter("queue_runner_skipped_rows_total", "Distinct queue_job rows the runner could not schedule as stored (reason: null_uuid, bad_uuid, null_state, unknown_state) or kept with a clamped timestamp (clamped_timestamp).", "server", "database", "reason");
        StaleSignals = factory.CreateCounter("queue_runner_stale_facts_dropped_total", "Facts read under a lease that had already ended, dropped by the runner loop.");
        DatabasesLed = factory.CreateGauge("queue_runner_databases_led", "Databases whose leader lock this process holds now.");
        DatabasesAssigned = factory.CreateGauge("queue_runner_databases_assigned", "Databases this process tries to lead: all it serves, or in a fleet its share.");
        FleetReplicas = factory.CreateGauge("queue_runner_fleet_replicas", "Live replicas of the fleet as this one last saw them (0 when not in a fleet).");
        FleetSlot = factory.CreateGauge("queue_runner_fleet_slot", "This replica's slot in the fleet; -1 when it is not a member (no fleet, joining, or its membership session failed).");
        CapacityScope = factory.CreateGauge("queue_runner_capacity_scope", "1 for the scope channel capacities count in (runner: across the databases this process leads, as OCA's runner; database: per database).", "scope");
        HandOvers = factory.CreateCounter("queue_runner_handovers_total", "Leadership hand-overs between fleet replicas (reason: released, an orderly hand-over of a database now assigned to another replica; taken, a newly assigned database this replica began to lead).", "reason");
        HandOverDuration = factory.CreateHistogram(
            "queue_runner_handover_duration_seconds",
            "Duration of a hand-over: released, from the decision to the lock released; taken, from the assignment to the lease started.",
            new HistogramConfiguration { LabelNames = ["reason"], Buckets = [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120] });
    }

    internal Gauge Heartbeat { get; }

    internal Gauge Leader { get; }

    internal Counter Notifications { get; }

    internal Counter NotificationsSkipped { get; }

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

    internal Gauge DatabasesLed { get; }

    internal Gauge DatabasesAssigned { get; }

    internal Gauge FleetReplicas { get; }

    internal Gauge FleetSlot { get; }

    internal Gauge CapacityScope { get; }

    internal Counter HandOvers { get; }

    internal Histogram HandOverDuration { get; }
}

using System.Collections.Concurrent;
using Prometheus;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper.Labels;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// The database metric families of the scraper. Gauges are set by each database's loops from their
/// latest readings, so a scrape only reads memory; counters and histograms are fed by the
/// completion follower as rows change.
/// </summary>
/// <remarks>
/// Per database, a <see cref="DatabaseJobCounts"/> merges the loops' readings and bounds the
/// channel label; every state exported is exported for every channel label (0 when empty), so an
/// alert on a missing series never hides an empty queue. A failed refresh leaves the gauges at
/// their last values: <c>queue_job_scrape_up</c> and
/// <c>queue_job_scrape_last_success_timestamp_seconds</c> say how stale they are.
/// </remarks>
public sealed class ScraperMetrics
{
    /// <summary>States that have an oldest-age gauge.</summary>
    public static readonly IReadOnlyList<string> AgedStates = [JobStates.Pending, JobStates.Enqueued, JobStates.Started];

    private static readonly string[] TerminalStates = [JobStates.Done, JobStates.Failed, JobStates.Cancelled];
    // The two histograms per channel label are most of /metrics (a line per bucket, plus +Inf,
    // sum and count): 8 buckets each keep 200 channels' series, with the label bounds, under 1 MB
    // (ScraperMetricsBoundsTests). Coarse but enough for quantiles and for "how many over 1 min".
    private static readonly double[] DurationBuckets = [0.01, 0.1, 1, 10, 60, 300, 1800, 3600];
    private static readonly double[] WaitBuckets = [0.5, 5, 30, 60, 300, 1800, 3600, 86400];

    /// <summary>
    /// (channel, exception) pairs per database that keep the exception's name in
    /// <c>queue_job_failures_total</c>; later pairs count under <c>exception="other"</c> in their
    /// channel. Without it 200 channels × 21 exception labels could make 4,200 series.
    /// </summary>
    public const int MaxFailurePairs = 200;

    private readonly Gauge _jobs;
    private readonly Gauge _jobsEstimated;
    private readonly Gauge _oldestAge;
    private readonly Counter _completed;
    private readonly Histogram _duration;
    private readonly Histogram _wait;
    private readonly Counter _failures;
    private readonly Counter _functionCompleted;
    private readonly Histogram _functionDuration;
    private readonly Histogram _functionLatency;
    private readonly Counter _retries;
    private readonly Gauge _runnerSessions;
    private readonly Gauge _up;
    private readonly Gauge _lastSuccess;
    private readonly Gauge _scrapeDuration;
    private readonly Counter _scrapeErrors;
    private readonly Gauge _monitoringIndex;
    private readonly Gauge _refreshPeriod;
    private readonly int _maxChannels;
    private readonly TimeSpan _channelIdleTime;
    private readonly ConcurrentDictionary<string, DatabaseSeries> _databases = new(StringComparer.Ordinal);

    /// <summary>The latest refresh outcome per database, as published here (for /healthz and the status page).</summary>
    public ScrapeStatus Status { get; } = new();

    /// <summary>
    /// Creates the families on <paramref name="registry"/>.
    /// Per database, <paramref name="maxChannels"/> channels keep their name (the rest are <c>other</c>)
    /// and a channel not seen for <paramref name="channelIdleTime"/> is dropped.
    /// </summary>
    public ScraperMetrics(CollectorRegistry registry, int maxChannels = ScraperOptions.DefaultMaxChannels, TimeSpan? channelIdleTime = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentOutOfRangeException.ThrowIfNegative(maxChannels);
        _maxChannels = maxChannels;
        _channelIdleTime = channelIdleTime ?? ScraperOptions.DefaultChannelIdleTime;
        var factory = Metrics.WithCustomRegistry(registry);
        string[] stateLabels = ["database", "channel", "state"];
        _jobs = factory.CreateGauge(
            "queue_job_jobs",
            "Jobs per channel and state: unfinished states exact at each refresh; done, cancelled and failed counted on the slower terminal cadence plus the completions seen since (absent while only estimated).",
            stateLabels);
        _jobsEstimated = factory.CreateGauge(
            "queue_job_jobs_estimated",
            "Done, cancelled and failed jobs as estimated from the planner's statistics (pg_class.reltuples times the state's frequency in pg_stats); lags until the next ANALYZE.",
            "database", "state");
        _oldestAge = factory.CreateGauge(
            "queue_job_oldest_age_seconds",
            "Age of the oldest runnable pending job (since the later of date_created and eta), enqueued job (since date_enqueued) and started job (since date_started), at the last refresh; 0 when there is none.",
            stateLabels);
        _completed = factory.CreateCounter("queue_job_completed_total", "Jobs that reached done, failed or cancelled since the exporter started.", stateLabels);
        _duration = factory.CreateHistogram(
            "queue_job_duration_seconds",
            "Execution time of jobs that reached done (exec_time, else date_done - date_started).",
            new HistogramConfiguration { LabelNames = ["database", "channel"], Buckets = DurationBuckets });
        _wait = factory.CreateHistogram(
            "queue_job_wait_seconds",
            "Time from runnable (later of date_created and eta) to date_started, observed when the job completes.",
            new HistogramConfiguration { LabelNames = ["database", "channel"], Buckets = WaitBuckets });
        _failures = factory.CreateCounter("queue_job_failures_total", "Jobs that reached failed, by exc_name (bounded; the rest are other).", "database", "channel", "exception");
        // Per function, not per channel and function: a function's channel is usually fixed, and
        // the product of two bounded labels would multiply the histogram's series.
        _functionCompleted = factory.CreateCounter(
            "queue_job_function_completed_total",
            "Jobs that reached done, failed or cancelled since the exporter started, by model_name.method_name (bounded; the rest are other).",
            "database", "function", "state");
        _functionDuration = factory.CreateHistogram(
            "queue_job_function_duration_seconds",
            "Execution time of jobs that reached done, by model_name.method_name (bounded; the rest are other).",
            new HistogramConfiguration { LabelNames = ["database", "function"], Buckets = DurationBuckets });
        _functionLatency = factory.CreateHistogram(
            "queue_job_function_latency_seconds",
            "Time from date_created to date_done of jobs that reached done (queueing, waiting and running), by model_name.method_name (bounded; the rest are other).",
            new HistogramConfiguration { LabelNames = ["database", "function"], Buckets = WaitBuckets });
        _retries = factory.CreateCounter(
            "queue_job_retries_total",
            "Increases of the retry counter of jobs the exporter follows (a job postponed for a retry), since the exporter started.",
            "database", "channel");
        _runnerSessions = factory.CreateGauge("queue_job_runner_sessions", "Database sessions of a job runner: holders of the runner leader lock, or sessions listening on queue_job.", "database");
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
    }

    /// <summary>
    /// Publishes the unfinished states' counts read at <paramref name="readAt"/> (the clock read
    /// after the query, so ages do not include the query's own duration as waiting time).
    /// </summary>
    public void PublishActive(string database, IReadOnlyList<string> states, IReadOnlyList<JobStateCount> counts, DateTimeOffset readAt)
    {
        var series = SeriesOf(database);
        lock (series)
        {
            var expired = series.Counts.ExpireIdle(readAt);
            series.Counts.SetActive(states, counts, readAt);
            Render(database, series, expired);
        }

        Status.Counts(database, counts);
    }

    /// <summary>Call just before counting a terminal state exactly; pass the result to <see cref="PublishTerminal"/>.</summary>
    public TerminalCountBaseline BeginTerminalCount(string database, string state)
    {
        var series = SeriesOf(database);
        lock (series)
        {
            return series.Counts.BeginTerminalCount(state);
        }
    }

    /// <summary>Publishes the exact count of a terminal state per channel.</summary>
    public void PublishTerminal(string database, TerminalCountBaseline baseline, IReadOnlyList<JobStateCount> counts, DateTimeOffset now)
    {
        var series = SeriesOf(database);
        lock (series)
        {
            var expired = series.Counts.ExpireIdle(now);
            series.Counts.SetTerminal(baseline, counts, now);
            Render(database, series, expired);
        }
    }

    /// <summary>Stops exporting a terminal state per channel (it is only estimated now).</summary>
    public void ForgetTerminal(string database, string state, DateTimeOffset now)
    {
        var series = SeriesOf(database);
        lock (series)
        {
            var expired = series.Counts.ExpireIdle(now);
            series.Counts.ForgetTerminal(state);
            Render(database, series, expired);
        }
    }

    /// <summary>Publishes the planner's estimate of a terminal state's rows; null removes it (no statistics).</summary>
    public void PublishEstimate(string database, string state, double? rows)
    {
        if (rows is { } value)
        {
            _jobsEstimated.WithLabels(database, state).Set(value);
        }
        else
        {
            _jobsEstimated.RemoveLabelled(database, state);
        }
    }

    /// <summary>Publishes whether the database has the optional monitoring index (read when its schema is detected).</summary>
    public void PublishMonitoringIndex(string database, bool present) => _monitoringIndex.WithLabels(database).Set(present ? 1 : 0);

    /// <summary>Publishes the time from one refresh's start to the next's.</summary>
    public void PublishRefreshPeriod(string database, TimeSpan period) => _refreshPeriod.WithLabels(database).Set(period.TotalSeconds);

    /// <summary>Publishes the number of runner sessions seen on the database.</summary>
    public void PublishRunnerSessions(string database, int sessions)
    {
        _runnerSessions.WithLabels(database).Set(sessions);
        Status.RunnerSessions(database, sessions);
    }

    /// <summary>Counts completions read from the database at <paramref name="now"/>.</summary>
    public void RecordCompletions(string database, IEnumerable<JobCompletion> completions, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(completions);
        var series = SeriesOf(database);
        lock (series)
        {
            var expired = series.Counts.ExpireIdle(now);
            var any = expired.Count > 0;
            foreach (var completion in completions)
            {
                any = true;
                var channel = series.Counts.LabelFor(completion.Channel, now);
                series.Counts.AddCompletion(channel, completion.State);
                _completed.WithLabels(database, channel, completion.State).Inc();
                if (completion.DurationSeconds is { } duration)
                {
                    _duration.WithLabels(database, channel).Observe(duration);
                }

                if (completion.WaitSeconds is { } wait)
                {
                    _wait.WithLabels(database, channel).Observe(wait);
                }

                if (completion.FunctionLabel is { } function)
                {
                    _functionCompleted.WithLabels(database, function, completion.State).Inc();
                    if (completion.DurationSeconds is { } functionDuration)
                    {
                        _functionDuration.WithLabels(database, function).Observe(functionDuration);
                    }

                    if (completion.LatencySeconds is { } latency)
                    {
                        _functionLatency.WithLabels(database, function).Observe(latency);
                    }
                }

                if (completion.ExceptionLabel is { } exception)
                {
                    _failures.WithLabels(database, channel, series.FailureLabel(channel, exception)).Inc();
                }
            }

            if (any)
            {
                Render(database, series, expired);
            }
        }
    }

    /// <summary>Subtracts jobs that left a terminal state (read at <paramref name="now"/>) from its total.</summary>
    public void RecordExits(string database, IReadOnlyList<JobStateExit> exits, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(exits);
        if (exits.Count == 0)
        {
            return;
        }

        var series = SeriesOf(database);
        lock (series)
        {
            var expired = series.Counts.ExpireIdle(now);
            foreach (var exit in exits)
            {
                series.Counts.AddCompletion(series.Counts.LabelFor(exit.Channel, now), exit.State, -1);
            }

            Render(database, series, expired);
        }
    }

    /// <summary>Counts retries per channel, read at <paramref name="now"/>.</summary>
    public void RecordRetries(string database, IReadOnlyDictionary<string, int>? retries, DateTimeOffset now)
    {
        if (retries is null || retries.Count == 0)
        {
            return;
        }

        var series = SeriesOf(database);
        lock (series)
        {
            var expired = series.Counts.ExpireIdle(now);
            foreach (var (channel, count) in retries)
            {
                _retries.WithLabels(database, series.Counts.LabelFor(channel, now)).Inc(count);
            }

            Render(database, series, expired);
        }
    }

    /// <summary>Marks a refresh that succeeded at <paramref name="now"/>.</summary>
    public void MarkUp(string database, TimeSpan duration, DateTimeOffset now)
    {
        _up.WithLabels(database).Set(1);
        _lastSuccess.WithLabels(database).Set(now.ToUnixTimeMilliseconds() / 1000.0);
        _scrapeDuration.WithLabels(database).Set(duration.TotalSeconds);
        _scrapeErrors.WithLabels(database);
        Status.MarkUp(database, now);
    }

    /// <summary>
    /// Marks a refresh that failed: up goes to 0 and the error is counted. The gauges keep their
    /// last values (a dashboard keeps its numbers, an alert on them does not resolve by itself);
    /// the last-success timestamp, unchanged, tells how old they are.
    /// </summary>
    public void MarkDown(string database, TimeSpan duration, string? reason = null)
    {
        Status.MarkDown(database, reason);
        _up.WithLabels(database).Set(0);
        _scrapeDuration.WithLabels(database).Set(duration.TotalSeconds);
        _scrapeErrors.WithLabels(database).Inc();
    }

    private DatabaseSeries SeriesOf(string database) =>
        _databases.GetOrAdd(database, _ => new DatabaseSeries(new DatabaseJobCounts(new ChannelLabels(_maxChannels, _channelIdleTime))));

    private void Render(string database, DatabaseSeries series, IReadOnlyList<string> expired)
    {
        var snapshot = series.Counts.Snapshot();
        foreach (var label in expired)
        {
            RemoveChannel(database, series, label);
        }

        var jobs = new HashSet<(string, string)>();
        var ages = new HashSet<(string, string)>();
        foreach (var ((label, state), (count, oldestSince)) in snapshot.Values)
        {
            _jobs.WithLabels(database, label, state).Set(count);
            jobs.Add((label, state));
            if (AgedStates.Contains(state))
            {
                var age = oldestSince is { } since && snapshot.ActiveReadAt is { } readAt ? Math.Max(0, (readAt - since).TotalSeconds) : 0;
                _oldestAge.WithLabels(database, label, state).Set(age);
                ages.Add((label, state));
            }
        }

        // Series of states no longer exported (a terminal state now only estimated) go away.
        foreach (var (label, state) in series.Jobs.Except(jobs))
        {
            _jobs.RemoveLabelled(database, label, state);
        }

        foreach (var (label, state) in series.Ages.Except(ages))
        {
            _oldestAge.RemoveLabelled(database, label, state);
        }

        series.Jobs = jobs;
        series.Ages = ages;
    }

    private void RemoveChannel(string database, DatabaseSeries series, string label)
    {
        foreach (var state in TerminalStates)
        {
            _completed.RemoveLabelled(database, label, state);
        }

        _duration.RemoveLabelled(database, label);
        _wait.RemoveLabelled(database, label);
        _retries.RemoveLabelled(database, label);
        foreach (var exception in series.ExceptionsOf(label))
        {
            _failures.RemoveLabelled(database, label, exception);
        }

        series.ForgetFailures(label);
    }

    private sealed class DatabaseSeries(DatabaseJobCounts counts)
    {
        public DatabaseJobCounts Counts { get; } = counts;

        public HashSet<(string Label, string State)> Jobs { get; set; } = [];

        public HashSet<(string Label, string State)> Ages { get; set; } = [];

        public Dictionary<string, HashSet<string>> Exceptions { get; } = new(StringComparer.Ordinal);

        public int FailurePairs { get; private set; }

        // The exception label a failure of this channel label is counted under (see MaxFailurePairs).
        public string FailureLabel(string label, string exception)
        {
            var exceptions = ExceptionsOf(label);
            if (exceptions.Contains(exception))
            {
                return exception;
            }

            if (exception == FirstSeenLabels.Other || FailurePairs >= MaxFailurePairs)
            {
                exceptions.Add(FirstSeenLabels.Other);
                return FirstSeenLabels.Other;
            }

            exceptions.Add(exception);
            FailurePairs++;
            return exception;
        }

        public void ForgetFailures(string label)
        {
            if (Exceptions.Remove(label, out var exceptions))
            {
                FailurePairs -= exceptions.Count(e => e != FirstSeenLabels.Other);
            }
        }

        public HashSet<string> ExceptionsOf(string label)
        {
            if (!Exceptions.TryGetValue(label, out var exceptions))
            {
                exceptions = new HashSet<string>(StringComparer.Ordinal);
                Exceptions[label] = exceptions;
            }

            return exceptions;
        }
    }
}

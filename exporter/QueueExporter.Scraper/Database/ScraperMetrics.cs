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

    /// <summary>
    /// (channel, exception) pairs per database that keep the exception's name in
    /// <c>queue_job_failures_total</c>; later pairs count under <c>exception="other"</c> in their channel.
    /// </summary>
    public const int MaxFailurePairs = DatabaseSeries.MaxFailurePairs;

    private readonly Gauge _jobs;
    private readonly Gauge _jobsEstimated;
    private readonly Gauge _jobsExact;
    private readonly Gauge _oldestAge;
    private readonly Gauge _runnerSessions;
    private readonly CompletionMetrics _completions;
    private readonly ScrapeHealthMetrics _health;
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
            "Jobs per channel and state: unfinished states exact at each refresh; done, cancelled and failed from the first terminal pass: the planner's estimate split per channel until an exact count (slower terminal cadence) replaces it, plus the completions seen since (queue_job_jobs_exact says which).",
            stateLabels);
        _jobsEstimated = factory.CreateGauge(
            "queue_job_jobs_estimated",
            "Done, cancelled and failed jobs as estimated from the planner's statistics (pg_class.reltuples times the state's frequency in pg_stats); lags until the next ANALYZE.",
            "database", "state");
        _jobsExact = factory.CreateGauge(
            "queue_job_jobs_exact",
            "1 when queue_job_jobs of this done, cancelled or failed state rests on an exact count (plus the completions seen since), 0 while it rests on the planner's estimate split per channel; absent when the state is not in queue_job_jobs.",
            "database", "state");
        _oldestAge = factory.CreateGauge(
            "queue_job_oldest_age_seconds",
            "Age of the oldest runnable pending job (since the later of date_created and eta), enqueued job (since date_enqueued) and started job (since date_started), at the last refresh; 0 when there is none.",
            stateLabels);
        _runnerSessions = factory.CreateGauge("queue_job_runner_sessions", "Database sessions of a job runner: holders of the runner leader lock, or sessions listening on queue_job.", "database");
        _completions = new CompletionMetrics(factory);
        _health = new ScrapeHealthMetrics(factory);
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

    /// <summary>
    /// Publishes a terminal state's total per channel: its exact count, or (<paramref name="exact"/>
    /// false) the planner's estimate split per channel.
    /// </summary>
    public void PublishTerminal(string database, TerminalCountBaseline baseline, IReadOnlyList<JobStateCount> counts, DateTimeOffset now, bool exact = true)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        var series = SeriesOf(database);
        lock (series)
        {
            var expired = series.Counts.ExpireIdle(now);
            series.Counts.SetTerminal(baseline, counts, now, exact);
            Render(database, series, expired);
            _jobsExact.WithLabels(database, baseline.State).Set(exact ? 1 : 0);
        }
    }

    /// <summary>Whether the terminal state's total is an exact count (true), an estimate (false), or not exported (null).</summary>
    public bool? IsExact(string database, string state)
    {
        var series = SeriesOf(database);
        lock (series)
        {
            return series.Counts.IsExact(state);
        }
    }

    /// <summary>Stops exporting a terminal state per channel (no statistics to estimate it from).</summary>
    public void ForgetTerminal(string database, string state, DateTimeOffset now)
    {
        var series = SeriesOf(database);
        lock (series)
        {
            var expired = series.Counts.ExpireIdle(now);
            series.Counts.ForgetTerminal(state);
            Render(database, series, expired);
            _jobsExact.RemoveLabelled(database, state);
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
    public void PublishMonitoringIndex(string database, bool present) => _health.PublishMonitoringIndex(database, present);

    /// <summary>Publishes the time from one refresh's start to the next's.</summary>
    public void PublishRefreshPeriod(string database, TimeSpan period) => _health.PublishRefreshPeriod(database, period);

    /// <summary>
    /// Marks a slow-cadence reconciliation that succeeded at <paramref name="now"/>: the exact count
    /// of a terminal state (<paramref name="what"/> is the state) or the follower's comparison with
    /// the unfinished jobs (<c>unfinished</c>).
    /// </summary>
    public void MarkReconciled(string database, string what, DateTimeOffset now) => _health.MarkReconciled(database, what, now);

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
                var exception = completion.ExceptionLabel is { } name ? series.FailureLabel(channel, name) : null;
                _completions.Record(database, channel, completion, exception);
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
                _completions.RecordRetries(database, series.Counts.LabelFor(channel, now), count);
            }

            Render(database, series, expired);
        }
    }

    /// <summary>Marks a refresh that succeeded at <paramref name="now"/>.</summary>
    public void MarkUp(string database, TimeSpan duration, DateTimeOffset now)
    {
        _health.MarkUp(database, duration, now);
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
        _health.MarkDown(database, duration);
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
        _completions.RemoveChannel(database, label, series.ExceptionsOf(label));
        series.ForgetFailures(label);
    }
}

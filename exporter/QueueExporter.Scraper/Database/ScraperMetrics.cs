using System.Collections.Concurrent;
using Prometheus;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// The database metric families of the scraper. Gauges are set by each database's refresh loop
/// from its latest reading, so a scrape only reads memory; counters and histograms are fed by the
/// completion follower as rows change.
/// </summary>
/// <remarks>
/// For every channel ever seen in a database, every state the table's version can hold is exported
/// (0 when empty), so an alert on a missing series never hides an empty queue. When a database
/// cannot be read its gauges are removed rather than left stale; <c>queue_job_scrape_up</c> says why.
/// </remarks>
public sealed class ScraperMetrics
{
    /// <summary>States that have an oldest-age gauge, and the column their age is measured from.</summary>
    public static readonly IReadOnlyList<string> AgedStates = [JobStates.Pending, JobStates.Enqueued, JobStates.Started];

    private static readonly double[] DurationBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
    private static readonly double[] WaitBuckets = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];

    private readonly Gauge _jobs;
    private readonly Gauge _oldestAge;
    private readonly Counter _completed;
    private readonly Histogram _duration;
    private readonly Histogram _wait;
    private readonly Counter _failures;
    private readonly Gauge _runnerSessions;
    private readonly Gauge _up;
    private readonly Gauge _scrapeDuration;
    private readonly Counter _scrapeErrors;
    private readonly ConcurrentDictionary<string, PublishedSeries> _published = new(StringComparer.Ordinal);

    /// <summary>Creates the families on <paramref name="registry"/> and sets build info for <paramref name="version"/>.</summary>
    public ScraperMetrics(CollectorRegistry registry, string version)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentException.ThrowIfNullOrEmpty(version);
        var factory = Metrics.WithCustomRegistry(registry);
        string[] stateLabels = ["database", "channel", "state"];
        _jobs = factory.CreateGauge("queue_job_jobs", "Jobs per state (active states exact at each refresh; done and cancelled refreshed on the slower terminal cadence).", stateLabels);
        _oldestAge = factory.CreateGauge(
            "queue_job_oldest_age_seconds",
            "Age of the oldest runnable pending job (since the later of date_created and eta), enqueued job (since date_enqueued) and started job (since date_started); 0 when there is none.",
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
        _runnerSessions = factory.CreateGauge("queue_job_runner_sessions", "Database sessions of a job runner: holders of the runner leader lock, or sessions listening on queue_job.", "database");
        _up = factory.CreateGauge("queue_job_scrape_up", "1 when the last refresh of the database succeeded, else 0.", "database");
        _scrapeDuration = factory.CreateGauge("queue_job_scrape_duration_seconds", "Wall time of the last refresh of the database.", "database");
        _scrapeErrors = factory.CreateCounter("queue_job_scrape_errors_total", "Refreshes of the database that failed.", "database");
        factory.CreateGauge("queue_job_exporter_build_info", "The exporter's version; always 1.", "version").WithLabels(version).Set(1);
    }

    /// <summary>
    /// Publishes a database's job counts. <paramref name="states"/> are the states to export (those
    /// read this time: the active ones, plus done/cancelled when the terminal totals are known);
    /// a state of a known channel without a row is exported as 0.
    /// </summary>
    public void PublishJobs(string database, IReadOnlyCollection<string> states, IReadOnlyList<JobStateCount> counts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(counts);
        var series = _published.GetOrAdd(database, _ => new PublishedSeries());
        lock (series)
        {
            series.Channels.Add("root");
            foreach (var count in counts)
            {
                series.Channels.Add(count.Channel);
            }

            var byKey = counts.ToDictionary(c => (c.Channel, c.State));
            foreach (var channel in series.Channels)
            {
                foreach (var state in states)
                {
                    byKey.TryGetValue((channel, state), out var count);
                    _jobs.WithLabels(database, channel, state).Set(count?.Count ?? 0);
                    series.States.Add(state);
                    if (AgedStates.Contains(state))
                    {
                        var age = count?.OldestSince is { } since ? Math.Max(0, (now - since).TotalSeconds) : 0;
                        _oldestAge.WithLabels(database, channel, state).Set(age);
                    }
                }
            }
        }
    }

    /// <summary>Publishes the number of runner sessions seen on the database.</summary>
    public void PublishRunnerSessions(string database, int sessions) => _runnerSessions.WithLabels(database).Set(sessions);

    /// <summary>Counts completions read from the database.</summary>
    public void RecordCompletions(string database, IEnumerable<JobCompletion> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        foreach (var completion in completions)
        {
            _completed.WithLabels(database, completion.Channel, completion.State).Inc();
            if (completion.DurationSeconds is { } duration)
            {
                _duration.WithLabels(database, completion.Channel).Observe(duration);
            }

            if (completion.WaitSeconds is { } wait)
            {
                _wait.WithLabels(database, completion.Channel).Observe(wait);
            }

            if (completion.ExceptionLabel is { } exception)
            {
                _failures.WithLabels(database, completion.Channel, exception).Inc();
            }
        }
    }

    /// <summary>Marks a refresh that succeeded.</summary>
    public void MarkUp(string database, TimeSpan duration)
    {
        _up.WithLabels(database).Set(1);
        _scrapeDuration.WithLabels(database).Set(duration.TotalSeconds);
        _scrapeErrors.WithLabels(database);
    }

    /// <summary>Marks a refresh that failed: up goes to 0, the error is counted, stale gauges go away.</summary>
    public void MarkDown(string database, TimeSpan duration)
    {
        _up.WithLabels(database).Set(0);
        _scrapeDuration.WithLabels(database).Set(duration.TotalSeconds);
        _scrapeErrors.WithLabels(database).Inc();
        _runnerSessions.RemoveLabelled(database);
        if (_published.TryGetValue(database, out var series))
        {
            lock (series)
            {
                foreach (var channel in series.Channels)
                {
                    foreach (var state in series.States)
                    {
                        _jobs.RemoveLabelled(database, channel, state);
                        _oldestAge.RemoveLabelled(database, channel, state);
                    }
                }

                series.States.Clear();
            }
        }
    }

    private sealed class PublishedSeries
    {
        public HashSet<string> Channels { get; } = new(StringComparer.Ordinal);

        public HashSet<string> States { get; } = new(StringComparer.Ordinal);
    }
}

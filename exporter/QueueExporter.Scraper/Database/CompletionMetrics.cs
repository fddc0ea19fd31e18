using Prometheus;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// The families fed by the completion follower as rows change: completions, durations, waits,
/// failures, retries, and their per-function twins. Labels arrive already bounded
/// (<see cref="ScraperMetrics"/> resolves channel and exception labels under its per-database lock).
/// </summary>
internal sealed class CompletionMetrics
{
    private static readonly string[] TerminalStates = [JobStates.Done, JobStates.Failed, JobStates.Cancelled];

    // The two histograms per channel label are most of /metrics (a line per bucket, plus +Inf,
    // sum and count): 8 buckets each keep 200 channels' series, with the label bounds, under 1 MB
    // (ScraperMetricsBoundsTests). Coarse but enough for quantiles and for "how many over 1 min".
    private static readonly double[] DurationBuckets = [0.01, 0.1, 1, 10, 60, 300, 1800, 3600];
    private static readonly double[] WaitBuckets = [0.5, 5, 30, 60, 300, 1800, 3600, 86400];

    private readonly Counter _completed;
    private readonly Histogram _duration;
    private readonly Histogram _wait;
    private readonly Counter _failures;
    private readonly Counter _functionCompleted;
    private readonly Histogram _functionDuration;
    private readonly Histogram _functionLatency;
    private readonly Counter _retries;

    public CompletionMetrics(MetricFactory factory)
    {
        string[] stateLabels = ["database", "channel", "state"];
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
    }

    /// <summary>Counts one completion under the channel label <paramref name="channel"/> (and <paramref name="exception"/> when it failed).</summary>
    public void Record(string database, string channel, JobCompletion completion, string? exception)
    {
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

        if (exception is not null)
        {
            _failures.WithLabels(database, channel, exception).Inc();
        }
    }

    /// <summary>Counts retries under the channel label <paramref name="channel"/>.</summary>
    public void RecordRetries(string database, string channel, int count) => _retries.WithLabels(database, channel).Inc(count);

    /// <summary>Removes the series of a channel label that expired.</summary>
    public void RemoveChannel(string database, string channel, IEnumerable<string> exceptions)
    {
        foreach (var state in TerminalStates)
        {
            _completed.RemoveLabelled(database, channel, state);
        }

        _duration.RemoveLabelled(database, channel);
        _wait.RemoveLabelled(database, channel);
        _retries.RemoveLabelled(database, channel);
        foreach (var exception in exceptions)
        {
            _failures.RemoveLabelled(database, channel, exception);
        }
    }
}

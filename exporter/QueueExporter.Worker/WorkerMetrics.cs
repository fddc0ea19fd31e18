using System.Collections.Concurrent;
using Prometheus;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.Worker;

/// <summary>
/// The worker's Prometheus metrics. Label sets stay bounded: <c>function</c> takes only registered
/// handler names (anything else is <c>unregistered</c>), and <c>channel</c> takes at most
/// <see cref="MaxChannels"/> distinct values (then <c>other</c>), whatever the table holds.
/// </summary>
public sealed class WorkerMetrics
{
    /// <summary>Distinct channel label values before new channels are counted as <c>other</c>.</summary>
    public const int MaxChannels = 100;

    /// <summary>The function label of jobs whose function has no handler.</summary>
    public const string UnregisteredFunction = "unregistered";

    /// <summary>The channel and function label of a requested job that does not exist.</summary>
    public const string UnknownJob = "unknown";

    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

    private readonly JobHandlerRegistry _handlers;
    private readonly Counter _jobs;
    private readonly Histogram _duration;
    private readonly Gauge _running;
    private readonly Counter _refused;
    private readonly ConcurrentDictionary<string, byte> _channels = new(StringComparer.Ordinal);

    /// <summary>Creates the metrics in <paramref name="registry"/>.</summary>
    public WorkerMetrics(CollectorRegistry registry, JobHandlerRegistry handlers)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _handlers = handlers ?? throw new ArgumentNullException(nameof(handlers));
        var factory = Metrics.WithCustomRegistry(registry);
        _jobs = factory.CreateCounter(
            "queue_worker_jobs_total",
            "Jobs this worker was asked to run, by outcome: done, retry, failed, unknown_function, skipped (not enqueued any more), lost (the run lost its lock or its job; nothing written).",
            new CounterConfiguration { LabelNames = ["channel", "function", "outcome"] });
        _duration = factory.CreateHistogram(
            "queue_worker_job_duration_seconds",
            "Time the job's handler ran, whatever its outcome.",
            new HistogramConfiguration { LabelNames = ["channel", "function"], Buckets = DurationBuckets });
        _running = factory.CreateGauge("queue_worker_jobs_running", "Jobs whose handler is running now.");
        _refused = factory.CreateCounter(
            "queue_worker_requests_refused_total",
            "runjob requests answered 503 at once because MaxConcurrentJobs jobs were running.");
    }

    /// <summary>Counts a request refused because the worker was full.</summary>
    internal void RequestRefused() => _refused.Inc();

    /// <summary>Counts a job request's outcome and, when a handler ran, its duration.</summary>
    internal void JobFinished(string channel, string function, string outcome, TimeSpan? duration)
    {
        var channelLabel = ChannelLabel(channel);
        var functionLabel = FunctionLabel(function);
        _jobs.WithLabels(channelLabel, functionLabel, outcome).Inc();
        if (duration is { } d)
        {
            _duration.WithLabels(channelLabel, functionLabel).Observe(d.TotalSeconds);
        }
    }

    /// <summary>Counts a request for a job that was not enqueued (or did not exist).</summary>
    internal void JobSkipped(string channel, string function) =>
        _jobs.WithLabels(ChannelLabel(channel), function == UnknownJob ? UnknownJob : FunctionLabel(function), Execution.JobOutcomeLabels.Skipped).Inc();

    /// <summary>A handler starts; dispose the result when it ends.</summary>
    internal RunningJob TrackRunning()
    {
        _running.Inc();
        return new RunningJob(_running);
    }

    private string FunctionLabel(string function) => _handlers.Contains(function) ? function : UnregisteredFunction;

    private string ChannelLabel(string channel)
    {
        if (_channels.ContainsKey(channel))
        {
            return channel;
        }

        // The count may overshoot by a few under concurrency; the bound only has to hold roughly.
        if (_channels.Count >= MaxChannels)
        {
            return "other";
        }

        _channels.TryAdd(channel, 0);
        return channel;
    }

    /// <summary>Decrements the running gauge once.</summary>
    internal sealed class RunningJob(Gauge running) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                running.Dec();
            }
        }
    }
}

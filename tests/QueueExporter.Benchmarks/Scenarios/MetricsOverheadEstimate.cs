using System.Diagnostics;
using Prometheus;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// An estimate of the metrics' share of the CPU a job costs: the metric operations one job causes in
/// the runner and the worker (replicated with the same prometheus-net types and label sets, because
/// the components' metric members are internal) timed in a tight loop, divided by the process CPU per
/// job the throughput scenario measured. Turning metrics off is not an option the components have, so
/// an A/B run is not possible; this bounds the cost instead.
/// </summary>
internal static class MetricsOverheadEstimate
{
    private const int Iterations = 200_000;

    public static double NanosecondsPerJob()
    {
        var factory = Metrics.WithCustomRegistry(Metrics.NewCustomRegistry());
        double[] buckets = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
        var notifications = factory.CreateCounter("n_total", "", "database");
        var latency = factory.CreateHistogram("l_seconds", "", new HistogramConfiguration { LabelNames = ["channel"], Buckets = buckets });
        var duration = factory.CreateHistogram("d_seconds", "", new HistogramConfiguration { LabelNames = ["channel", "outcome"], Buckets = buckets });
        var dispatches = factory.CreateCounter("x_total", "", "database", "channel", "outcome");
        var loop = factory.CreateHistogram("loop_seconds", "", new HistogramConfiguration { Buckets = buckets });
        var heartbeat = factory.CreateGauge("hb", "");
        var jobs = factory.CreateCounter("jobs_total", "", "channel", "function", "outcome");
        var runtime = factory.CreateHistogram("run_seconds", "", new HistogramConfiguration { LabelNames = ["channel", "function"], Buckets = buckets });
        var running = factory.CreateGauge("running", "");
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Iterations; i++)
        {
            // Runner: four notifications (pending, enqueued, started, done), one dispatch, a loop iteration or two.
            notifications.WithLabels("db").Inc(1);
            notifications.WithLabels("db").Inc(1);
            notifications.WithLabels("db").Inc(1);
            notifications.WithLabels("db").Inc(1);
            latency.WithLabels("root").Observe(0.001);
            duration.WithLabels("root", "ok").Observe(0.002);
            dispatches.WithLabels("db", "root", "ok").Inc();
            loop.Observe(0.0001);
            loop.Observe(0.0001);
            heartbeat.Set(i);
            heartbeat.Set(i);

            // Worker: running gauge up and down, the outcome counter and the run-time histogram.
            running.Inc();
            running.Dec();
            jobs.WithLabels("root", "bench.job.run", "done").Inc();
            runtime.WithLabels("root", "bench.job.run").Observe(0.0001);
        }

        return clock.Elapsed.TotalNanoseconds / Iterations;
    }
}

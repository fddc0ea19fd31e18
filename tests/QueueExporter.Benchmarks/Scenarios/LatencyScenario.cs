using System.Diagnostics;
using QueueExporter.Benchmarks.Rig;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// Commit-to-request latency with an idle runner: one job at a time is inserted in its own
/// transaction; the clock starts when that commit returns to the producer and stops when the runjob
/// request for that very job arrives at the worker (both read the same monotonic clock, in this one
/// process). The next job goes in only after the previous one finished and a short pause.
/// </summary>
internal static class LatencyScenario
{
    private const int WarmUpJobs = 50;
    private const int SlowestShown = 5;

    /// <summary>One measured job: how long its commit took to reach the worker, and when, from the first sample.</summary>
    private readonly record struct Sample(double Milliseconds, TimeSpan At);

    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        foreach (var mode in (CommitMode[])[CommitMode.Durable, CommitMode.Async])
        {
            var timed = await MeasureAsync(cluster, settings, mode);
            var samples = timed.Select(s => s.Milliseconds).ToList();
            samples.Sort();
            var p50 = Percentile(samples, 0.50);
            var p99 = Percentile(samples, 0.99);
            var suffix = mode == CommitMode.Durable ? "durable" : "synchronous_commit=off";
            table.Add(new Figure("latency", $"commit → runjob request p50 ({suffix})", p50, "ms", "OCA 4 ms", "< 2 ms", p50 < 2));
            table.Add(new Figure("latency", $"commit → runjob request p99 ({suffix})", p99, "ms", "OCA 8 ms", "< 5 ms", p99 < 5));
            // The p99 of 300 samples is the third slowest: printed with when they happened, a periodic stall shows as such.
            var slowest = timed.OrderByDescending(s => s.Milliseconds).Take(SlowestShown).OrderBy(s => s.At);
            Console.WriteLine($"  latency ({suffix}): slowest samples " + string.Join(", ", slowest.Select(s => $"{s.Milliseconds:F1} ms at {s.At.TotalSeconds:F1} s")));
        }
    }

    private static async Task<List<Sample>> MeasureAsync(BenchmarkCluster cluster, BenchmarkSettings settings, CommitMode mode)
    {
        var database = "latency_" + mode.ToString().ToLowerInvariant();
        await cluster.CreateQueueDatabaseAsync(database, mode == CommitMode.Durable);
        try
        {
            await using var rig = await FlowRig.StartAsync(cluster, database, settings.Concurrency);
            await using var connection = await cluster.OpenAsync(database, BenchmarkCluster.ProducerRole);
            var samples = new List<Sample>(settings.LatencyJobs);
            var firstSample = 0L;

            // Unmeasured jobs first: JIT, connection pools and HTTP keep-alive are warm in a runner that serves for months.
            // Enough of them for tiered compilation (a method is recompiled optimised after 30 calls, in the background):
            // with 5, the durable p99 read 13.5-15.2 ms in three runs, with 50 it read 5.5-7.9 ms (interleaved, quiet machine).
            for (var i = -WarmUpJobs; i < settings.LatencyJobs; i++)
            {
                var expected = rig.Probe.Completed + 1;
                var finished = rig.Probe.CompletedAtLeastAsync(expected);
                var uuid = await rig.EnqueueOneAsync(connection, CancellationToken.None);
                var committed = Stopwatch.GetTimestamp();
                var arrival = rig.Probe.ArrivalOfAsync(uuid);
                var both = Task.WhenAll(arrival, finished);
                if (await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(10))) != both)
                {
                    throw new InvalidOperationException($"latency ({mode}): job {uuid} was not run within 10 s");
                }

                if (i >= 0)
                {
                    if (i == 0)
                    {
                        firstSample = committed;
                    }

                    samples.Add(new Sample(Stopwatch.GetElapsedTime(committed, await arrival).TotalMilliseconds, Stopwatch.GetElapsedTime(firstSample, committed)));
                }

                await Task.Delay(settings.LatencyPause);
            }

            return samples;
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }

    private static double Percentile(List<double> sorted, double fraction)
    {
        var index = (int)Math.Ceiling(fraction * sorted.Count) - 1;
        return sorted[Math.Clamp(index, 0, sorted.Count - 1)];
    }
}

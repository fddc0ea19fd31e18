using System.Diagnostics;
using QueueExporter.Benchmarks.Rig;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// Steady-state completed jobs/s of the real flow: producers insert jobs one per transaction on
/// their own connections (backlog bounded), the runner dispatches through <c>root:N</c>, with N =
/// pgbench's client count (same concurrency as the ceiling) and, in the full run, N = 32 too (so
/// that the capacity is not what limits), and the worker runs each job in its usual two transactions. Completed = the
/// runjob answer was ready, i.e. the job's done state is committed. Measured over a window after a
/// warm-up, in both commit modes, each divided by the ceiling of the same mode from the same run.
/// </summary>
internal static class ThroughputScenario
{
    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        var cheapestCpuPerJob = double.MaxValue;
        foreach (var capacity in settings.FlowCapacities)
        {
            foreach (var mode in (CommitMode[])[CommitMode.Durable, CommitMode.Async])
            {
                var ceiling = await CeilingScenario.MeasureAsync(cluster, settings, table, mode);
                var (rate, cpuPerJob) = await MeasureAsync(cluster, settings, mode, capacity);
                var ratio = rate / ceiling;
                var name = $"{CeilingScenario.FigureName(mode)}, root:{capacity}";
                table.Add(new Figure("throughput", name, rate, "jobs/s", $"ceiling {FigureTable.Format(ceiling)} jobs/s", "≥ 0.7× ceiling", ratio >= 0.7) { Ratio = ratio });
                table.Add(new Figure("throughput", $"process CPU per job ({mode.ToString().ToLowerInvariant()}, root:{capacity})", cpuPerJob, "ms", "runner + worker + producers, one process", "", null));
                cheapestCpuPerJob = Math.Min(cheapestCpuPerJob, cpuPerJob);
            }
        }

        var metricsNs = MetricsOverheadEstimate.NanosecondsPerJob();
        table.Add(new Figure("throughput", "metric operations per job (estimate)", metricsNs / 1000, "µs", "", "", null));
        var share = metricsNs / 1e6 / cheapestCpuPerJob * 100;
        table.Add(new Figure("throughput", "metrics share of CPU per job (estimate)", share, "%", "of the lowest CPU per job above", "< 3 %", share < 3));
    }

    private static async Task<(double Rate, double CpuMsPerJob)> MeasureAsync(BenchmarkCluster cluster, BenchmarkSettings settings, CommitMode mode, int capacity)
    {
        var database = $"throughput_{mode.ToString().ToLowerInvariant()}_{capacity}";
        await cluster.CreateQueueDatabaseAsync(database, mode == CommitMode.Durable);
        try
        {
            await using var rig = await FlowRig.StartAsync(cluster, database, capacity);
            using var stop = new CancellationTokenSource();
            long inserted = 0;
            var producers = Enumerable.Range(0, settings.Producers).Select(_ => Task.Run(async () =>
            {
                await using var connection = await cluster.OpenAsync(database, BenchmarkCluster.ProducerRole);
                while (!stop.IsCancellationRequested)
                {
                    if (Interlocked.Read(ref inserted) - rig.Probe.Completed >= settings.MaxBacklog)
                    {
                        // Backpressure: the flow is the bottleneck, which is what is being measured.
                        await Task.Delay(2, CancellationToken.None);
                        continue;
                    }

                    await rig.EnqueueOneAsync(connection, CancellationToken.None);
                    Interlocked.Increment(ref inserted);
                }
            })).ToList();

            await Task.Delay(settings.ThroughputWarmup);
            await cluster.VacuumQueueAsync(database);
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var done0 = rig.Probe.Completed;
            var clock = Stopwatch.StartNew();
            await Task.Delay(settings.ThroughputWindow);
            var done1 = rig.Probe.Completed;
            var elapsed = clock.Elapsed.TotalSeconds;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
            await stop.CancelAsync();
            await Task.WhenAll(producers);

            var drained = rig.Probe.CompletedAtLeastAsync(Interlocked.Read(ref inserted));
            if (await Task.WhenAny(drained, Task.Delay(settings.DrainTimeout)) != drained)
            {
                throw new InvalidOperationException($"throughput ({mode}): only {rig.Probe.Completed} of {inserted} jobs finished within {settings.DrainTimeout.TotalSeconds} s");
            }

            var jobs = Math.Max(1, done1 - done0);
            Console.WriteLine($"  throughput ({mode}, root:{capacity}): {done1 - done0} jobs in {elapsed:0.0} s, {inserted} inserted in all, all finished");
            return ((done1 - done0) / elapsed, cpu / jobs);
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }
}

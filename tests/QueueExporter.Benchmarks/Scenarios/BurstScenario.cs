using System.Diagnostics;
using QueueExporter.Benchmarks.Rig;
using QueueExporter.QueueJob.Enqueue;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// A burst: many jobs inserted in ONE transaction (an import, a mass action), durable commits. From
/// the moment that commit returns: how long until the worker receives the first runjob request (the
/// runner must not read the whole burst before dispatching anything), and until it has received all.
/// </summary>
internal static class BurstScenario
{
    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        const string database = "burst";
        await cluster.CreateQueueDatabaseAsync(database, synchronousCommit: true);
        try
        {
            await using var rig = await FlowRig.StartAsync(cluster, database, settings.Concurrency);
            var jobs = Enumerable.Range(0, settings.BurstJobs).Select(_ => FlowRig.NewJob()).ToList();
            await using var connection = await cluster.OpenAsync(database, BenchmarkCluster.ProducerRole);
            rig.Probe.Reset();
            var allDone = rig.Probe.CompletedAtLeastAsync(jobs.Count);
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await new JobEnqueuer(rig.Schema).EnqueueManyAsync(connection, jobs, transaction, CancellationToken.None);
                await transaction.CommitAsync();
            }

            var committed = Stopwatch.GetTimestamp();
            if (await Task.WhenAny(allDone, Task.Delay(settings.DrainTimeout)) != allDone)
            {
                throw new InvalidOperationException($"burst: only {rig.Probe.Completed} of {jobs.Count} jobs finished within {settings.DrainTimeout.TotalSeconds} s");
            }

            var first = Stopwatch.GetElapsedTime(committed, rig.Probe.FirstArrival).TotalSeconds;
            var all = Stopwatch.GetElapsedTime(committed, rig.Probe.LastArrival).TotalSeconds;
            var label = $"{jobs.Count:#,0} jobs in one commit";
            table.Add(new Figure("burst", $"commit → first runjob request ({label})", first, "s", "OCA 4–5 s (20,000 jobs)", "< 0.5 s", first < 0.5));
            table.Add(new Figure("burst", $"commit → last runjob request ({label})", all, "s", $"root:{settings.Concurrency}, so bounded by throughput", "", null));
            table.Add(new Figure("burst", "burst drained at", jobs.Count / all, "jobs/s", "", "", null));
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }
}

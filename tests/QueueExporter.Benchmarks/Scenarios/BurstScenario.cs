using System.Diagnostics;
using QueueExporter.Benchmarks.Rig;
using QueueExporter.QueueJob.Enqueue;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// A burst: many jobs inserted in ONE transaction (an import, a mass action), durable commits. From
/// the moment that commit returns: how long until the worker receives the first runjob request (the
/// runner must not read the whole burst before dispatching anything), and until it has received all.
/// The channel allows 500 jobs at once and the worker is a stand-in that records the request, answers
/// at once and marks the jobs done in batches: what is measured is the runner's reading and
/// dispatching, not how fast a worker runs jobs (the throughput scenario measures that). An unlimited
/// channel would open one HTTP connection per job: 20,000 at once exhausts this process's file
/// descriptors (client and server sockets live in the same process here).
/// </summary>
internal static class BurstScenario
{
    private const int BurstCapacity = 500;

    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        const string database = "burst";
        await cluster.CreateQueueDatabaseAsync(database, synchronousCommit: true);
        try
        {
            await using var rig = await FlowRig.StartAsync(cluster, database, capacity: BurstCapacity, runJobs: false);
            var jobs = Enumerable.Range(0, settings.BurstJobs).Select(_ => FlowRig.NewJob()).ToList();
            await using var connection = await cluster.OpenAsync(database, BenchmarkCluster.ProducerRole);
            rig.Probe.Reset();
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                await new JobEnqueuer(rig.Schema).EnqueueManyAsync(connection, jobs, transaction, CancellationToken.None);
                await transaction.CommitAsync();
            }

            var committed = Stopwatch.GetTimestamp();
            var deadline = committed + (long)(settings.DrainTimeout.TotalSeconds * Stopwatch.Frequency);
            while (rig.Probe.DistinctArrived < jobs.Count)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new InvalidOperationException($"burst: only {rig.Probe.DistinctArrived} of {jobs.Count} jobs were dispatched within {settings.DrainTimeout.TotalSeconds} s");
                }

                await Task.Delay(10);
            }

            Console.WriteLine($"  burst: all {jobs.Count} jobs dispatched");

            var first = Stopwatch.GetElapsedTime(committed, rig.Probe.FirstArrival).TotalSeconds;
            var all = Stopwatch.GetElapsedTime(committed, rig.Probe.LastArrival).TotalSeconds;
            var label = $"{jobs.Count:#,0} jobs in one commit";
            table.Add(new Figure("burst", $"commit → first runjob request ({label})", first, "s", "OCA 4–5 s (20,000 jobs)", "< 0.5 s", first < 0.5));
            table.Add(new Figure("burst", $"commit → last runjob request ({label})", all, "s", $"root:{BurstCapacity}, stand-in worker", "", null));
            table.Add(new Figure("burst", "dispatch rate over the burst", jobs.Count / all, "jobs/s", "", "", null));
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }
}

using System.Diagnostics;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Prometheus;
using QueueExporter.Benchmarks.Rig;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner;
using QueueExporter.Runner.Channels;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// A fleet of 1, 2 and 3 runner replicas (in-process, each its own <see cref="JobRunner"/> with its own
/// application_name) sharing 30 databases, our real worker running the jobs. Each round: the replicas
/// divide the databases, then every database gets a burst in one commit and the round measures
/// completed jobs/s until the last job is done, and the connections each replica holds. On this
/// 2-core machine the point is that throughput does not fall as replicas are added (they compete for
/// the same cores), not that it scales.
/// </summary>
internal static class FleetScenario
{
    private const int Capacity = 4;

    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        // Quick (the CI smoke run): 6 databases, enough to divide among 3 replicas.
        var databases = settings.Quick ? 6 : 30;
        var names = Enumerable.Range(0, databases).Select(i => $"fleet_{i:00}").ToList();
        foreach (var name in names)
        {
            await cluster.CreateQueueDatabaseAsync(name, synchronousCommit: true);
        }

        try
        {
            var probe = new ArrivalProbe();
            var worker = await FlowRig.StartWorkerAsync(cluster, names, probe, finisher: null);
            var workerUrl = new Uri(worker.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            QueueJobSchema schema;
            await using (var connection = await cluster.OpenAsync(names[0]))
            {
                schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);
            }

            double? single = null;
            try
            {
                for (var replicas = 1; replicas <= 3; replicas++)
                {
                    var (jobsPerSecond, connections) = await RoundAsync(cluster, settings, names, workerUrl, probe, schema, replicas);
                    single ??= jobsPerSecond;
                    table.Add(new Figure("fleet", $"completed jobs/s, {replicas} replica(s) over {databases} databases", jobsPerSecond, "jobs/s", $"1 replica: {FigureTable.Format(single.Value)} ({jobsPerSecond / single.Value:0.00}×)", "≥ 0.8× of 1 replica", jobsPerSecond >= single.Value * 0.8));
                    table.Add(new Figure("fleet", $"runner connections per replica right after the burst, {replicas} replica(s)", connections.Average(), "connections", string.Join(" / ", connections), "", null));
                }
            }
            finally
            {
                await worker.StopAsync(CancellationToken.None);
                await worker.DisposeAsync();
            }
        }
        finally
        {
            foreach (var name in names)
            {
                await cluster.DropDatabaseAsync(name);
            }
        }
    }

    private static async Task<(double JobsPerSecond, IReadOnlyList<long> Connections)> RoundAsync(
        BenchmarkCluster cluster, BenchmarkSettings settings, IReadOnlyList<string> names, Uri workerUrl, ArrivalProbe probe, QueueJobSchema schema, int replicas)
    {
        using var stop = new CancellationTokenSource();
        var runners = Enumerable.Range(0, replicas).Select(i => new JobRunner(
            new RunnerOptions
            {
                Endpoint = cluster.Endpoint("postgres", BenchmarkCluster.RunnerRole),
                Databases = names,
                Channels = $"root:{Capacity}",
                WorkerUrl = workerUrl,
                Fleet = true,
                FleetInterval = TimeSpan.FromSeconds(1),
                StandbyRetryInterval = TimeSpan.FromSeconds(1),
                CapacityScope = CapacityScope.Database,
                ApplicationName = $"bench-fleet-{i}",
            },
            new RunnerMetrics(Metrics.NewCustomRegistry()))).ToList();
        var tasks = runners.Select(r => Task.Run(() => r.RunAsync(stop.Token))).ToList();
        try
        {
            // The replicas divide the databases: every one led, each replica at most its rounded-up share.
            var share = (names.Count + replicas - 1) / replicas;
            await WaitAsync(
                () => runners.Sum(r => r.Leadership.Count(l => l.Value)) == names.Count && runners.All(r => r.Leadership.Count(l => l.Value) <= share),
                TimeSpan.FromSeconds(120),
                $"{replicas} replicas divide {names.Count} databases");
            Console.WriteLine($"  fleet: {replicas} replica(s) lead {string.Join(" / ", runners.Select(r => r.Leadership.Count(l => l.Value)))}");

            var perDatabase = settings.Quick ? 20 : 100;
            var total = perDatabase * names.Count;
            probe.Reset();
            var done = probe.CompletedAtLeastAsync(total);
            var started = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (name, _) =>
            {
                await using var connection = await cluster.OpenAsync(name, BenchmarkCluster.ProducerRole);
                await using var transaction = await connection.BeginTransactionAsync();
                await new JobEnqueuer(schema).EnqueueManyAsync(connection, [.. Enumerable.Range(0, perDatabase).Select(_ => FlowRig.NewJob())], transaction, CancellationToken.None);
                await transaction.CommitAsync();
            });
            if (await Task.WhenAny(done, Task.Delay(settings.DrainTimeout)) != done)
            {
                throw new InvalidOperationException($"fleet: only {probe.Completed} of {total} jobs completed within {settings.DrainTimeout.TotalSeconds} s with {replicas} replica(s)");
            }

            var jobsPerSecond = total / Stopwatch.GetElapsedTime(started).TotalSeconds;
            await using var admin = await cluster.OpenAsync("postgres");
            var connections = new List<long>();
            for (var i = 0; i < replicas; i++)
            {
                connections.Add(await admin.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = @name", new { name = $"bench-fleet-{i}" }));
            }

            Console.WriteLine($"  fleet: {replicas} replica(s): {jobsPerSecond:0} jobs/s, connections {string.Join(" / ", connections)}");
            return (jobsPerSecond, connections);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(tasks);
        }
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string because)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException($"fleet: not within {timeout.TotalSeconds} s: {because}");
            }

            await Task.Delay(50);
        }
    }
}

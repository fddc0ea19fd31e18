using System.Diagnostics;
using System.Reflection;
using Npgsql;
using QueueExporter.Benchmarks.Rig;
using QueueExporter.Runner.Channels;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// N pending jobs in a real table, loaded the way the runner loads a database when it takes the
/// leader lock: the runner's own load query (JobRowReader.LoadActiveAsync, reached by reflection
/// because it is internal and this harness must not widen the runner's API), then one
/// <see cref="JobScheduler.Upsert"/> per row as the runner loop applies a DatabaseLoaded signal.
/// Retained bytes per job = managed heap after a full collection once the scheduler holds every job,
/// minus the heap just before it was built (the rows read are alive in both measurements, so the
/// difference is the scheduler's alone). The transient heap of the rows in flight is reported too.
/// </summary>
internal static class MemoryScenario
{
    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        const string database = "memory";
        await cluster.CreateQueueDatabaseAsync(database, synchronousCommit: false);
        try
        {
            await FillAsync(cluster, database, settings.MemoryJobs);
            var load = LoadActiveMethod();

            // The runner loads a table PostgreSQL has in its buffers; a first scan puts it there, so the timing is the runner's.
            await using (var warm = await cluster.OpenAsync(database, BenchmarkCluster.RunnerRole))
            {
                await using var count = new NpgsqlCommand("SELECT count(*) FROM queue_job", warm);
                await count.ExecuteScalarAsync();
            }

            var baseline = GC.GetTotalMemory(forceFullCollection: true);
            var clock = Stopwatch.StartNew();
            List<JobFacts> facts;
            await using (var connection = await cluster.OpenAsync(database, BenchmarkCluster.RunnerRole))
            {
                // LoadActiveAsync returns Task<JobRows> (internal): its Facts are the rows the scheduler takes.
                var loading = (Task)load.Invoke(null, [connection, database, CancellationToken.None])!;
                await loading;
                var rows = loading.GetType().GetProperty("Result")!.GetValue(loading)!;
                facts = (List<JobFacts>)rows.GetType().GetProperty("Facts")!.GetValue(rows)!;
            }

            var read = clock.Elapsed.TotalSeconds;
            var inFlight = GC.GetTotalMemory(forceFullCollection: false) - baseline;

            // Untimed: a full collection with the rows still alive, so that the next one isolates what the scheduler keeps.
            clock.Stop();
            var before = GC.GetTotalMemory(forceFullCollection: true);
            clock.Start();
            var scheduler = new JobScheduler(ChannelConfigurationParser.Parse("root:8"), TimeProvider.System);
            foreach (var fact in facts)
            {
                scheduler.Upsert(fact);
            }

            var total = clock.Elapsed.TotalSeconds;
            var after = GC.GetTotalMemory(forceFullCollection: true);
            var loaded = facts.Count;
            GC.KeepAlive(facts);
            if (scheduler.JobCount != settings.MemoryJobs || loaded != settings.MemoryJobs)
            {
                throw new InvalidOperationException($"memory: loaded {loaded} rows, scheduler holds {scheduler.JobCount}, expected {settings.MemoryJobs}");
            }

            var perJob = (after - before) / (double)scheduler.JobCount;
            var n = $"{settings.MemoryJobs:#,0} pending";
            table.Add(new Figure("memory", $"retained managed heap per pending job ({n})", perJob, "bytes", "OCA ~520 bytes", "< 300 bytes", perJob < 300));
            table.Add(new Figure("memory", $"rows in flight while loading, per job ({n})", inFlight / (double)scheduler.JobCount, "bytes", "transient: the List<JobFacts> and its strings", "", null));
            table.Add(new Figure("memory", $"load time: query + scheduler ({n})", total, "s", "OCA 12 s (1,000,000)", "< 5 s for 1,000,000", total * (1_000_000.0 / settings.MemoryJobs) < 5));
            table.Add(new Figure("memory", $"of which reading rows ({n})", read, "s", "", "", null));
            GC.KeepAlive(scheduler);
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }

    private static MethodInfo LoadActiveMethod()
    {
        var type = typeof(JobScheduler).Assembly.GetType("QueueExporter.Runner.Database.JobRowReader", throwOnError: true)!;
        return type.GetMethod("LoadActiveAsync", BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException("JobRowReader.LoadActiveAsync not found: update the memory scenario to the runner's load path");
    }

    private static async Task FillAsync(BenchmarkCluster cluster, string database, int count)
    {
        // Server-side, without the trigger (nobody listens yet, and a million notifications are not what is measured).
        // date_created grows with id, as in a real table: the scheduler's heaps see rows in the order Odoo wrote them.
        await using var connection = await cluster.OpenAsync(database);
        await BenchmarkCluster.ExecuteAsync(connection, "ALTER TABLE queue_job DISABLE TRIGGER queue_job_notify");
        await BenchmarkCluster.ExecuteAsync(connection, $$"""
            INSERT INTO queue_job (uuid, name, model_name, method_name, func_string, channel_method_name, records, args, kwargs, state, priority, date_created, retry, max_retries, channel)
            SELECT gen_random_uuid()::text, 'bench.job().run(*[1], **{})', 'bench.job', 'run', 'bench.job().run(*[1], **{})', '<bench.job>.run',
                   '{"_type": "odoo_recordset", "model": "bench.job", "ids": []}', '[1]', '{}', 'pending', 10,
                   (now() AT TIME ZONE 'utc') - (({{count}} - g) * interval '1 millisecond'), 0, 5,
                   CASE WHEN g % 10 = 0 THEN 'root.mail' ELSE 'root' END
            FROM generate_series(1, {{count}}) AS g
            """);
        await BenchmarkCluster.ExecuteAsync(connection, "ALTER TABLE queue_job ENABLE TRIGGER queue_job_notify");
        await BenchmarkCluster.ExecuteAsync(connection, "VACUUM ANALYZE queue_job");
    }
}

using System.Diagnostics;
using System.Globalization;
using QueueExporter.Benchmarks.Rig;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// What a user sees of the runner's memory: the real <c>queue-exporter runner</c> process (its own runtime
/// settings, nothing of the harness in it), measured from /proc. Twice: at rest on an empty queue, and
/// taking a database with N pending jobs (10 % in a subchannel) behind a stand-in worker that keeps the
/// jobs it receives "running", so the runner sends its capacity (8) and holds the rest.
/// <list type="bullet">
/// <item>first dispatch and load time are counted from the runner's "initializing database connections"
/// line (it connects, diagnoses, takes the lock, then loads): to the first runjob request arriving, and to
/// its "ready for db" line (every row read and handed to the loop, at most 8 slices of 1,024 not yet applied);</item>
/// <item>VmRSS and VmHWM once loaded, with RssAnon (the process's own pages) and RssFile (the mapped runtime
/// and assemblies, shared), next to the managed heap the runtime reports after its last collection;</item>
/// <item>the runner's CPU time for the load, from its CPU-time clock.</item>
/// </list>
/// </summary>
internal static class MemoryScenario
{
    private const string Channels = "root:8";

    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        await AtRestAsync(cluster, settings, table);
        await LoadedAsync(cluster, settings, table);
    }

    private static async Task AtRestAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        const string database = "memory_rest";
        await cluster.CreateQueueDatabaseAsync(database, synchronousCommit: false);
        try
        {
            await using var worker = await StandInRunJob.StartAsync();
            await using var runner = StartRunner(cluster, database, worker.Url);
            await runner.Process.WaitForLineAsync("queue job runner ready for db " + database, settings.DrainTimeout);
            // At rest = after its first minute's work is done: the load, the first rescue passes, a few loop heartbeats.
            await Task.Delay(settings.RestSettle);
            var memory = ProcessMemory.Of(runner.Process.Pid);
            var heap = await ManagedHeapMiBAsync(runner.MetricsUrl);
            Console.WriteLine($"  memory at rest: VmRSS {memory.RssMiB:0.0} MiB (anon {memory.AnonMiB:0.0}, files {memory.FileMiB:0.0}), VmHWM {memory.PeakRssMiB:0.0} MiB, managed heap {heap:0.0} MiB");
            table.Add(new Figure("memory", "runner process RSS at rest, no jobs (VmRSS)", memory.RssMiB, "MiB", $"OCA 33 MiB; anon {memory.AnonMiB:0.0} + mapped files {memory.FileMiB:0.0} MiB", "≤ 40 MiB", memory.RssMiB <= 40));
            table.Add(new Figure("memory", "managed heap at rest, no jobs", heap, "MiB", "after the last collection", "", null));
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }

    private static async Task LoadedAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        const string database = "memory";
        var jobs = settings.MemoryJobs;
        await cluster.CreateQueueDatabaseAsync(database, synchronousCommit: false);
        try
        {
            await FillAsync(cluster, database, jobs);
            await using var worker = await StandInRunJob.StartAsync();
            await using var runner = StartRunner(cluster, database, worker.Url);
            var begun = await runner.Process.WaitForLineAsync("initializing database connections", settings.DrainTimeout);
            var cpuBefore = ProcessMemory.CpuTime(runner.Process.Pid);
            var ready = await runner.Process.WaitForLineAsync("queue job runner ready for db " + database, settings.DrainTimeout);
            var cpu = (ProcessMemory.CpuTime(runner.Process.Pid) - cpuBefore).TotalSeconds;
            var held = await HeldAsync(runner.MetricsUrl, jobs, settings.DrainTimeout);
            var firstArrival = await FirstArrivalAsync(worker.Probe, settings.DrainTimeout);
            var memory = ProcessMemory.Of(runner.Process.Pid);
            var heap = await ManagedHeapMiBAsync(runner.MetricsUrl);
            if (held < jobs)
            {
                throw new InvalidOperationException($"memory: the runner holds {held} of {jobs} jobs");
            }

            var firstDispatch = Stopwatch.GetElapsedTime(begun, firstArrival).TotalSeconds;
            var load = Stopwatch.GetElapsedTime(begun, ready).TotalSeconds;
            var perMillion = 1_000_000.0 / jobs;
            var n = $"{jobs:#,0} pending";
            Console.WriteLine($"  memory ({n}): loaded in {load:0.00} s (first dispatch {firstDispatch:0.000} s), CPU {cpu:0.00} s; VmRSS {memory.RssMiB:0.0} MiB (anon {memory.AnonMiB:0.0}), VmHWM {memory.PeakRssMiB:0.0} MiB, managed heap {heap:0.0} MiB");
            table.Add(new Figure("memory", $"runner process peak RSS ({n}, VmHWM)", memory.PeakRssMiB, "MiB", "OCA 544 MiB (1,000,000)", "≤ 250 MiB for 1,000,000", jobs >= 1_000_000 ? memory.PeakRssMiB <= 250 : null));
            table.Add(new Figure("memory", $"runner process RSS once loaded ({n}, VmRSS)", memory.RssMiB, "MiB", $"anon {memory.AnonMiB:0.0} + mapped files {memory.FileMiB:0.0} MiB", "", null));
            table.Add(new Figure("memory", $"managed heap per pending job ({n})", heap * 1024 * 1024 / jobs, "bytes", $"{heap:0.0} MiB after the last collection; OCA ~520 bytes", "", null));
            table.Add(new Figure("memory", $"load time: connect, lock, read, hand to the loop ({n})", load, "s", "OCA 12.7–21.9 s (1,000,000)", "< 3 s for 1,000,000", load * perMillion < 3));
            table.Add(new Figure("memory", $"first dispatch while loading ({n})", firstDispatch, "s", "OCA after the whole load", "< 0.5 s", firstDispatch < 0.5));
            table.Add(new Figure("memory", $"runner CPU for the load ({n})", cpu, "s", "user + system, the process's CPU-time clock", "", null));
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }

    private static RunnerProcess StartRunner(BenchmarkCluster cluster, string database, Uri workerUrl)
    {
        var port = TestSupport.PostgresBinaries.FreeLoopbackPort();
        var process = ExporterProcess.Start([
            "runner",
            "--database-url", $"postgres://{BenchmarkCluster.RunnerRole}@127.0.0.1:{cluster.Port}/{database}",
            "--channels", Channels,
            "--worker-url", workerUrl.ToString(),
            "--listen", $"127.0.0.1:{port}",
            "--runtime-metrics",
        ]);
        return new RunnerProcess(process, new Uri($"http://127.0.0.1:{port}/metrics"));
    }

    /// <summary>Jobs the runner holds (queued + running in root, which counts its subchannels), polled until all are or time runs out.</summary>
    private static async Task<double> HeldAsync(Uri metrics, int expected, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        double held;
        do
        {
            var text = await MetricsText.ScrapeAsync(metrics);
            held = (MetricsText.Sample(text, "queue_runner_channel_jobs{channel=\"root\",state=\"queued\"}") ?? 0)
                + (MetricsText.Sample(text, "queue_runner_channel_jobs{channel=\"root\",state=\"running\"}") ?? 0);
            if (held >= expected)
            {
                break;
            }

            // The loop updates its gauges four times a second.
            await Task.Delay(100);
        }
        while (Stopwatch.GetTimestamp() < deadline);
        return held;
    }

    /// <summary>When the first runjob request arrived (the probe stamps it); the first dispatch may still be in flight when the load is done.</summary>
    private static async Task<long> FirstArrivalAsync(ArrivalProbe probe, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        long at;
        while ((at = probe.FirstArrival) == 0)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException($"memory: no runjob request within {timeout.TotalSeconds} s");
            }

            await Task.Delay(20);
        }

        return at;
    }

    private static async Task<double> ManagedHeapMiBAsync(Uri metrics)
    {
        var text = await MetricsText.ScrapeAsync(metrics);
        var bytes = 0.0;
        foreach (var generation in (string[])["gen0", "gen1", "gen2", "loh", "poh"])
        {
            bytes += MetricsText.Sample(text, $"system_runtime_dotnet_gc_last_collection_heap_size{{gc_heap_generation=\"{generation}\"}}") ?? 0;
        }

        return bytes / (1024 * 1024);
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

        // The runner loads a table PostgreSQL has in its buffers; a first scan puts it there, so the timing is the runner's.
        await BenchmarkCluster.ExecuteAsync(connection, "SELECT count(*) FROM queue_job");
    }

    private sealed record RunnerProcess(ExporterProcess Process, Uri MetricsUrl) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Process.DisposeAsync();
    }
}

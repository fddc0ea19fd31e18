using System.Diagnostics;
using QueueExporter.Benchmarks.Rig;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// The flow as a user deploys it: <c>queue-exporter runner</c> and <c>queue-exporter worker</c> (its demo
/// handler <c>queue.demo.quick</c>, which returns at once) as two processes; producers in the harness insert one job per transaction on 4
/// connections (backlog bounded). Over a window after a warm-up of 20 s: completed jobs/s (the worker's own
/// <c>queue_worker_jobs_total</c>), divided by the same run's pgbench ceiling of the same commit mode; the
/// CPU time of each process per job, from its CPU-time clock (<see cref="ProcessMemory.CpuTime"/>), with PostgreSQL's and the producers' beside them
/// (<see cref="CpuBudget"/>); each process's peak RSS; and, in a second run of fresh processes that reach
/// PostgreSQL through the relays, each process's round trips per job. <c>root:8</c> = pgbench's 8 clients.
/// <para>
/// With <c>--oca-queue DIR</c>, a third run in each mode puts OCA's own runner (<see cref="OcaRunnerTree"/>) in
/// place of ours, with the same worker, producers, window and PostgreSQL: ours ÷ OCA's jobs/s, side by side in one run.
/// </para>
/// </summary>
internal static class ProcessesScenario
{
    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        foreach (var mode in (CommitMode[])[CommitMode.Durable, CommitMode.Async])
        {
            var ceiling = await CeilingScenario.MeasureAsync(cluster, settings, table, mode);
            var ours = await MeasureAsync(cluster, settings, table, mode, ceiling);
            if (settings.OcaQueue is { } checkout)
            {
                await MeasureOcaAsync(cluster, settings, table, mode, ceiling, ours, checkout);
            }
        }
    }

    /// <summary>Our runner's flow; returns it for the comparison with OCA's.</summary>
    private static async Task<FlowRun> MeasureAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table, CommitMode mode, double ceiling)
    {
        var m = mode.ToString().ToLowerInvariant();
        var capacity = settings.Concurrency;

        // Two runs of fresh processes: the rate and the CPU with the processes connected to PostgreSQL directly, as
        // deployed; then the round trips through the counting relays. The relays are this harness's threads copying
        // every byte twice, on the same 2 cores: measured in the same run they cost the flow a share of its rate.
        var flow = await RunFlowAsync(cluster, settings, mode, countWire: false, settings.ProcessWarmup, settings.ThroughputWindow, oca: null);
        var wire = await RunFlowAsync(cluster, settings, mode, countWire: true, settings.ThroughputWarmup, settings.WireWindow, oca: null);

        var rate = flow.Rate;
        var ratio = rate / ceiling;
        var (runnerCpu, workerCpu) = (flow.PerJob(flow.RunnerCpu), flow.PerJob(flow.WorkerCpu));
        var (runnerTrips, workerTrips) = (wire.RunnerTrips / (double)Math.Max(1, wire.Jobs), wire.WorkerTrips / (double)Math.Max(1, wire.Jobs));
        var postgres = flow.PerJob(flow.Budget.Postgres);
        var harness = flow.PerJob(flow.Budget.Harness);
        Console.WriteLine($"  processes ({m}, root:{capacity}{(settings.FixedRate is { } at ? $", {at:0.#} jobs/s offered" : "")}): {flow.Jobs} jobs in {flow.Elapsed:0.0} s directly connected, all finished; runner {runnerCpu:0.000} ms CPU, worker {workerCpu:0.000} ms, "
            + $"PostgreSQL {postgres:0.000} ms, producers {harness:0.000} ms per job, machine {flow.Budget.IdleShare:P0} idle; through the relays {wire.Rate:0.0} jobs/s, "
            + $"runner {runnerTrips:0.00} and worker {workerTrips:0.00} round trips per job");
        var offered = settings.FixedRate is { } r ? $", {r:0.#} jobs/s offered" : "";
        table.Add(new Figure("processes", $"{CeilingScenario.FigureName(mode)}, root:{capacity}, runner and worker processes{offered}", rate, "jobs/s", $"ceiling {FigureTable.Format(ceiling)} jobs/s", "≥ 0.7× ceiling", ratio >= 0.7) { Ratio = ratio });
        table.Add(new Figure("processes", $"runner CPU per job ({m})", runnerCpu, "ms", "OCA 2.3–2.5 ms", "≤ 0.4 ms", runnerCpu <= 0.4));
        table.Add(new Figure("processes", $"worker CPU per job ({m})", workerCpu, "ms", "", "≤ 0.8 ms", workerCpu <= 0.8));
        table.Add(new Figure("processes", $"CPU per job, PostgreSQL ({m})", postgres, "ms",
            $"producers {harness:0.000} ms; machine {flow.PerJob(flow.Budget.MachineBusy):0.000} ms busy, {flow.Budget.IdleShare:P0} idle", "", null));
        table.Add(new Figure("processes", $"CPU at rest, runner / worker ({m})", flow.RunnerIdle, "ms/s", $"worker {flow.WorkerIdle:0.0} ms/s; per job at this rate: {flow.RunnerIdle / rate:0.00} / {flow.WorkerIdle / rate:0.00} ms", "", null));
        table.Add(new Figure("processes", $"worker round trips per job ({m})", workerTrips, "", "on the wire (a run through counting relays); was 9", "≤ 4", workerTrips <= 4));
        table.Add(new Figure("processes", $"runner round trips per job ({m})", runnerTrips, "", "on the wire, listening session included", "", null));
        table.Add(new Figure("processes", $"peak RSS, runner / worker ({m})", flow.RunnerMemory.PeakRssMiB, "MiB", $"worker {flow.WorkerMemory.PeakRssMiB:0.0} MiB", "", null));
        return flow;
    }

    /// <summary>The same flow with OCA's runner in place of ours, right after ours in the same run.</summary>
    private static async Task MeasureOcaAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table, CommitMode mode, double ceiling, FlowRun ours, string checkout)
    {
        var m = mode.ToString().ToLowerInvariant();
        using var tree = OcaRunnerTree.Create(checkout);
        var flow = await RunFlowAsync(cluster, settings, mode, countWire: false, settings.ProcessWarmup, settings.ThroughputWindow, tree);
        var (rate, ourRate) = (flow.Rate, ours.Rate);
        var (runnerCpu, workerCpu) = (flow.PerJob(flow.RunnerCpu), flow.PerJob(flow.WorkerCpu));
        var postgres = flow.PerJob(flow.Budget.Postgres);
        var offered = settings.FixedRate is { } r ? $", {r:0.#} jobs/s offered" : "";
        Console.WriteLine($"  processes ({m}, OCA's runner): {flow.Jobs} jobs in {flow.Elapsed:0.0} s, all finished; OCA's runner {runnerCpu:0.000} ms CPU, worker {workerCpu:0.000} ms, "
            + $"PostgreSQL {postgres:0.000} ms per job, machine {flow.Budget.IdleShare:P0} idle; ours ÷ OCA's {ourRate / Math.Max(0.001, rate):0.00}×");
        table.Add(new Figure("processes", $"{CeilingScenario.FigureName(mode)}, root:{settings.Concurrency}, OCA's runner and our worker{offered}", rate, "jobs/s", $"ceiling {FigureTable.Format(ceiling)} jobs/s", "", null) { Ratio = rate / ceiling });
        // What the rest of our flow (PostgreSQL, the worker, the producers) left for a runner on these cores: even one that
        // cost no CPU at all could go no faster than the cores divided by the rest's CPU per job, at this run's costs.
        var rest = ours.PerJob(ours.Budget.MachineBusy) - ours.PerJob(ours.RunnerCpu);
        var freeRunnerRate = Environment.ProcessorCount * 1000.0 / Math.Max(0.001, rest);
        table.Add(new Figure("processes", $"jobs/s, our runner ÷ OCA's ({m})", ourRate / Math.Max(0.001, rate), "×",
            $"same worker, producers, window and PostgreSQL, in one run; a runner that cost no CPU: at most {freeRunnerRate / Math.Max(0.001, rate):0.00}× on these {Environment.ProcessorCount} cores", "≥ 3×", ourRate >= 3 * rate));
        table.Add(new Figure("processes", $"OCA's runner CPU per job ({m})", runnerCpu, "ms", $"ours {ours.PerJob(ours.RunnerCpu):0.000} ms", "", null));
        table.Add(new Figure("processes", $"CPU per job with OCA's runner: worker / PostgreSQL ({m})", workerCpu, "ms",
            $"PostgreSQL {postgres:0.000} ms; machine {flow.PerJob(flow.Budget.MachineBusy):0.000} ms busy, {flow.Budget.IdleShare:P0} idle", "", null));
        table.Add(new Figure("processes", $"OCA's runner peak RSS ({m})", flow.RunnerMemory.PeakRssMiB, "MiB", $"ours {ours.RunnerMemory.PeakRssMiB:0.0} MiB", "", null));
    }

    /// <summary>What one run of fresh runner and worker processes measured over its window.</summary>
    private sealed record FlowRun(
        long Jobs, double Elapsed, TimeSpan RunnerCpu, TimeSpan WorkerCpu, long RunnerTrips, long WorkerTrips,
        ProcessMemory RunnerMemory, ProcessMemory WorkerMemory, CpuBudget Budget, double RunnerIdle, double WorkerIdle)
    {
        public double Rate => Jobs / Elapsed;

        /// <summary><paramref name="time"/> per finished job, in ms (a window with none counts as one).</summary>
        public double PerJob(TimeSpan time) => time.TotalMilliseconds / Math.Max(1, Jobs);
    }

    private static async Task<FlowRun> RunFlowAsync(BenchmarkCluster cluster, BenchmarkSettings settings, CommitMode mode, bool countWire, TimeSpan warmup, TimeSpan window, OcaRunnerTree? oca)
    {
        var m = mode.ToString().ToLowerInvariant();
        var database = "processes_" + m;
        var capacity = settings.Concurrency;
        await cluster.CreateQueueDatabaseAsync(database, mode == CommitMode.Durable);
        try
        {
            await using var runnerWire = countWire ? new RoundTripCountingProxy(cluster.Port) : null;
            await using var workerWire = countWire ? new RoundTripCountingProxy(cluster.Port) : null;
            var workerPort = PostgresBinaries.FreeLoopbackPort();
            var runnerPort = PostgresBinaries.FreeLoopbackPort();
            await using var worker = ExporterProcess.Start([
                "worker",
                "--database-url", $"postgres://{BenchmarkCluster.WorkerRole}@127.0.0.1:{workerWire?.Port ?? cluster.Port}/{database}",
                "--listen", $"127.0.0.1:{workerPort}",
                "--demo-handlers",
                "--log-level", "warning",
            ]);
            var workerMetrics = new Uri($"http://127.0.0.1:{workerPort}/metrics");
            if (oca is not null)
            {
                // OCA's runner serves only databases where Odoo lists queue_job as installed.
                await using var connection = await cluster.OpenAsync(database);
                await BenchmarkCluster.ExecuteAsync(connection, "CREATE TABLE ir_module_module (name varchar NOT NULL, state varchar NOT NULL); INSERT INTO ir_module_module VALUES ('queue_job', 'installed')");
            }

            await using var runner = oca is not null
                ? ExporterProcess.StartProgram(oca.StartInfo(database, runnerWire?.Port ?? cluster.Port, BenchmarkCluster.RunnerRole, workerPort, $"root:{capacity}"), "OCA's runner")
                : ExporterProcess.Start([
                    "runner",
                    "--database-url", $"postgres://{BenchmarkCluster.RunnerRole}@127.0.0.1:{runnerWire?.Port ?? cluster.Port}/{database}",
                    "--channels", $"root:{capacity}",
                    "--worker-url", $"http://127.0.0.1:{workerPort}",
                    "--listen", $"127.0.0.1:{runnerPort}",
                ]);
            // OCA's line, which ours keeps.
            await runner.WaitForLineAsync("queue job runner ready for db " + database, settings.DrainTimeout);
            await WaitForMetricsAsync(workerMetrics, settings.DrainTimeout);

            QueueJobSchema schema;
            await using (var connection = await cluster.OpenAsync(database))
            {
                schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);
            }

            using var stop = new CancellationTokenSource();
            long inserted = 0;
            long completed = 0;
            var watcher = Task.Run(async () =>
            {
                // The producers' backpressure reads the worker's own count; a tenth of a second is fine-grained enough for a backlog of 200.
                while (!stop.IsCancellationRequested)
                {
                    Interlocked.Exchange(ref completed, (long)await DoneAsync(workerMetrics));
                    await Task.Delay(100, CancellationToken.None);
                }
            });
            // With --rate, each producer keeps to its share of the offered rate on a schedule of its own (a late insert
            // does not make the next one early by more than the schedule allows); the backlog bound still applies.
            var interval = settings.FixedRate is { } offered ? (long)(settings.Producers / offered * Stopwatch.Frequency) : 0;
            var producers = Enumerable.Range(0, settings.Producers).Select(_ => Task.Run(async () =>
            {
                await using var connection = await cluster.OpenAsync(database, BenchmarkCluster.ProducerRole);
                var enqueuer = new JobEnqueuer(schema);
                var due = Stopwatch.GetTimestamp();
                while (!stop.IsCancellationRequested)
                {
                    if (Interlocked.Read(ref inserted) - Interlocked.Read(ref completed) >= settings.MaxBacklog)
                    {
                        await Task.Delay(2, CancellationToken.None);
                        continue;
                    }

                    if (interval > 0)
                    {
                        due = Math.Max(due + interval, Stopwatch.GetTimestamp() - interval);
                        var wait = due - Stopwatch.GetTimestamp();
                        if (wait > 0)
                        {
                            await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency), CancellationToken.None);
                        }
                    }

                    await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "queue.demo", MethodName = "quick" }, null, CancellationToken.None);
                    Interlocked.Increment(ref inserted);
                }
            })).ToList();

            // Fresh processes still move hot methods to their optimised tier (the JIT's background work counts as their
            // CPU) for many seconds on a loaded machine: the CPU run warms up longer than the round-trip run needs to.
            await Task.Delay(warmup);

            await cluster.VacuumQueueAsync(database);

            var done0 = await DoneAsync(workerMetrics);
            var (runnerCpu0, workerCpu0) = (ProcessMemory.CpuTime(runner.Pid), ProcessMemory.CpuTime(worker.Pid));
            var (runnerTrips0, workerTrips0) = (runnerWire?.RoundTrips ?? 0, workerWire?.RoundTrips ?? 0);
            var budget0 = CpuBudget.Read(cluster.PostmasterPid);
            var clock = Stopwatch.StartNew();
            await Task.Delay(window);
            var done1 = await DoneAsync(workerMetrics);
            // A per-job figure over a handful of jobs is noise (on a starved machine a window once saw none, and its
            // "round trips per job" were a whole window's divided by one): the window goes on until enough finished.
            var enough = Stopwatch.GetTimestamp() + (long)(settings.DrainTimeout.TotalSeconds * Stopwatch.Frequency);
            while (done1 - done0 < settings.MinimumWindowJobs)
            {
                if (Stopwatch.GetTimestamp() > enough)
                {
                    await stop.CancelAsync();
                    throw new InvalidOperationException(
                        $"processes ({m}): only {done1 - done0} jobs finished in {clock.Elapsed.TotalSeconds:0} s of the window; worker: {worker.Output()}; runner: {runner.Output()}");
                }

                await Task.Delay(100);
                done1 = await DoneAsync(workerMetrics);
            }

            var elapsed = clock.Elapsed.TotalSeconds;
            var budget = CpuBudget.Read(cluster.PostmasterPid) - budget0;
            var (runnerCpu, workerCpu) = (ProcessMemory.CpuTime(runner.Pid) - runnerCpu0, ProcessMemory.CpuTime(worker.Pid) - workerCpu0);
            var (runnerTrips, workerTrips) = ((runnerWire?.RoundTrips ?? 0) - runnerTrips0, (workerWire?.RoundTrips ?? 0) - workerTrips0);
            var (runnerMemory, workerMemory) = (ProcessMemory.Of(runner.Pid), ProcessMemory.Of(worker.Pid));
            await stop.CancelAsync();
            await Task.WhenAll(producers);
            await watcher;

            var deadline = Stopwatch.GetTimestamp() + (long)(settings.DrainTimeout.TotalSeconds * Stopwatch.Frequency);
            while (await DoneAsync(workerMetrics) < Interlocked.Read(ref inserted))
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    throw new InvalidOperationException(
                        $"processes ({m}): only {await DoneAsync(workerMetrics)} of {inserted} jobs done within {settings.DrainTimeout.TotalSeconds} s; "
                        + $"rows by state: {await StatesAsync(cluster, database)}; worker: {worker.Output()}; runner: {runner.Output()}");
                }

                await Task.Delay(50);
            }

            // What each process costs doing nothing once warm (loop heartbeat, keepalive pings, rescue passes, timers): per
            // job it is what a low rate amortises badly, so it is reported beside the per-job figures.
            var (runnerIdle0, workerIdle0) = (ProcessMemory.CpuTime(runner.Pid), ProcessMemory.CpuTime(worker.Pid));
            await Task.Delay(settings.ThroughputWarmup);
            var runnerIdle = (ProcessMemory.CpuTime(runner.Pid) - runnerIdle0).TotalMilliseconds / settings.ThroughputWarmup.TotalSeconds;
            var workerIdle = (ProcessMemory.CpuTime(worker.Pid) - workerIdle0).TotalMilliseconds / settings.ThroughputWarmup.TotalSeconds;
            return new FlowRun((long)(done1 - done0), elapsed, runnerCpu, workerCpu, runnerTrips, workerTrips, runnerMemory, workerMemory, budget, runnerIdle, workerIdle);
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }

    private static async Task<string> StatesAsync(BenchmarkCluster cluster, string database)
    {
        await using var connection = await cluster.OpenAsync(database);
        await using var command = new Npgsql.NpgsqlCommand("SELECT string_agg(state || ' ' || n, ', ') FROM (SELECT state, count(*) AS n FROM queue_job GROUP BY state) s", connection);
        return (await command.ExecuteScalarAsync())?.ToString() ?? "none";
    }

    private static async Task<double> DoneAsync(Uri workerMetrics)
    {
        var text = await MetricsText.ScrapeAsync(workerMetrics);
        return MetricsText.Sum(text, "queue_worker_jobs_total", "outcome=\"done\"");
    }

    private static async Task WaitForMetricsAsync(Uri metrics, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            try
            {
                await MetricsText.ScrapeAsync(metrics);
                return;
            }
            catch (Exception e) when ((e is HttpRequestException or TaskCanceledException) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}

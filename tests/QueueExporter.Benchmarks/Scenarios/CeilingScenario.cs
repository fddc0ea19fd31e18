using System.Globalization;
using System.Text.RegularExpressions;
using QueueExporter.Benchmarks.Rig;

using QueueExporter.TestSupport;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// PostgreSQL's own ceiling for the queue's writes: pgbench runs, per "transaction" of its script, the
/// four writes one job costs in the real flow, each its own commit (INSERT pending, UPDATE enqueued,
/// UPDATE started, UPDATE done) on a real queue_job table with its notify trigger. pgbench's tps is
/// then jobs/s with nothing else in the way: no reads, no lock rows, no HTTP, no scheduling.
/// </summary>
internal static partial class CeilingScenario
{
    private const string Script = """
        INSERT INTO queue_job (uuid, name, model_name, method_name, func_string, channel_method_name, records, args, kwargs, state, priority, date_created, retry, max_retries, channel) VALUES (gen_random_uuid()::text, 'bench.job().run(*[1], **{})', 'bench.job', 'run', 'bench.job().run(*[1], **{})', '<bench.job>.run', '{"_type": "odoo_recordset", "model": "bench.job", "ids": []}', '[1]', '{}', 'pending', 10, now() AT TIME ZONE 'utc', 0, 5, 'root') RETURNING id \gset
        UPDATE queue_job SET state = 'enqueued', date_enqueued = now() AT TIME ZONE 'utc' WHERE id = :id;
        UPDATE queue_job SET state = 'started', date_started = now() AT TIME ZONE 'utc' WHERE id = :id;
        UPDATE queue_job SET state = 'done', date_done = now() AT TIME ZONE 'utc', exec_time = 0.001 WHERE id = :id;
        """;

    /// <summary>Measures the ceiling in <paramref name="mode"/> (once per run; later callers get the figure already measured).</summary>
    public static async Task<double> MeasureAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table, CommitMode mode)
    {
        var name = FigureName(mode);
        if (table.Find("ceiling", name) is { } known)
        {
            return known;
        }

        var database = "ceiling_" + mode.ToString().ToLowerInvariant();
        await cluster.CreateQueueDatabaseAsync(database, mode == CommitMode.Durable);
        var scriptPath = Path.Combine(Path.GetTempPath(), $"qe-bench-ceiling-{Environment.ProcessId}.sql");
        await File.WriteAllTextAsync(scriptPath, Script);
        try
        {
            var environment = new Dictionary<string, string> { ["PGOPTIONS"] = mode == CommitMode.Durable ? "-c synchronous_commit=on" : "-c synchronous_commit=off" };
            var budget0 = CpuBudget.Read(cluster.PostmasterPid);
            var output = await PostgresBinaries.RunAsync(
                Path.Combine(cluster.BinDirectory, "pgbench"),
                ["-h", "127.0.0.1", "-p", cluster.Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-n",
                 "-c", settings.Concurrency.ToString(CultureInfo.InvariantCulture), "-j", "2",
                 "-T", ((int)settings.CeilingDuration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
                 "-f", scriptPath, database],
                asPostgresUser: false,
                environment);
            var match = TpsPattern().Match(output);
            if (!match.Success)
            {
                throw new InvalidOperationException("pgbench printed no tps line: " + output);
            }

            // pgbench is this harness's child, reaped by now: its CPU is the harness's (nothing else runs in the harness meanwhile).
            var budget = CpuBudget.Read(cluster.PostmasterPid) - budget0;
            var tps = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            table.Add(new Figure("ceiling", name, tps, "jobs/s", "pgbench, 4 single-statement commits per job, " + settings.Concurrency + " clients", "", null));
            var jobs = Math.Max(1, tps * settings.CeilingDuration.TotalSeconds);
            table.Add(new Figure("ceiling", $"CPU per job, PostgreSQL ({mode.ToString().ToLowerInvariant()})", budget.Postgres.TotalMilliseconds / jobs, "ms",
                $"pgbench {budget.Harness.TotalMilliseconds / jobs:0.000} ms; machine {budget.MachineBusy.TotalMilliseconds / jobs:0.000} ms busy, {budget.IdleShare:P0} idle", "", null));
            return tps;
        }
        finally
        {
            File.Delete(scriptPath);
            await cluster.DropDatabaseAsync(database);
        }
    }

    public static string FigureName(CommitMode mode) => mode == CommitMode.Durable ? "jobs/s, durable commits" : "jobs/s, synchronous_commit=off";

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();
}

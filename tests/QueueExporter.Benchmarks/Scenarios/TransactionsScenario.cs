using Npgsql;
using QueueExporter.Benchmarks.Rig;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// Runner-side transactions per job, counted by PostgreSQL itself: the runner, the worker and the
/// producer each log in as their own role, and pg_stat_statements (reset once the runner is up and
/// has loaded, so start-up is not counted) counts every statement per role. The runner opens explicit
/// transactions only for the dead-job rescue, so its transactions are its COMMITs and ROLLBACKs plus
/// every statement it ran outside them (the rescue's statements, recognised by their
/// <c>date_enqueued &lt;</c> cutoff, are inside). Periodic work during the run (rescue every 5 s,
/// keep-alives) is included: it is part of what the runner costs.
/// </summary>
internal static class TransactionsScenario
{
    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        const string database = "transactions";
        await cluster.CreateQueueDatabaseAsync(database, synchronousCommit: true);
        try
        {
            var jobs = settings.TransactionJobs;
            await using (var rig = await FlowRig.StartAsync(cluster, database, settings.Concurrency))
            {
                await using var connection = await cluster.OpenAsync(database, BenchmarkCluster.ProducerRole);
                await using (var admin = await cluster.OpenAsync(database))
                {
                    await BenchmarkCluster.ExecuteAsync(admin, "SELECT pg_stat_statements_reset()");
                }

                var allDone = rig.Probe.CompletedAtLeastAsync(jobs);
                for (var i = 0; i < jobs; i++)
                {
                    while (i - rig.Probe.Completed >= settings.MaxBacklog)
                    {
                        await Task.Delay(2);
                    }

                    await rig.EnqueueOneAsync(connection, CancellationToken.None);
                }

                if (await Task.WhenAny(allDone, Task.Delay(settings.DrainTimeout)) != allDone)
                {
                    throw new InvalidOperationException($"transactions: only {rig.Probe.Completed} of {jobs} jobs finished within {settings.DrainTimeout.TotalSeconds} s");
                }
            }

            var statements = await ReadStatementsAsync(cluster, database);
            var runner = statements.Where(s => s.Role == BenchmarkCluster.RunnerRole).ToList();
            var transactions = RunnerTransactions(runner);
            var runnerStatements = runner.Where(s => !IsTransactionControl(s.Query)).Sum(s => s.Calls);
            Console.WriteLine($"  runner statements over {jobs} jobs (calls per job):");
            foreach (var s in runner.OrderByDescending(s => s.Calls))
            {
                Console.WriteLine($"    {s.Calls / (double)jobs,7:0.000}  {Shorten(s.Query)}");
            }

            foreach (var role in (string[])[BenchmarkCluster.WorkerRole, BenchmarkCluster.ProducerRole])
            {
                var own = statements.Where(s => s.Role == role).ToList();
                var commits = own.Where(s => IsCommitOrRollback(s.Query)).Sum(s => s.Calls);
                Console.WriteLine($"  {role}: {own.Where(s => !IsTransactionControl(s.Query)).Sum(s => s.Calls) / (double)jobs:0.00} statements and {commits / (double)jobs:0.00} explicit commits per job");
            }

            table.Add(new Figure("transactions", "runner transactions per job", transactions / (double)jobs, "", "OCA ~15", "fewer than OCA", transactions / (double)jobs < 15));
            table.Add(new Figure("transactions", "runner statements per job", runnerStatements / (double)jobs, "", "", "", null));
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }

    private static long RunnerTransactions(List<StatementCount> runner)
    {
        var explicitEnds = runner.Where(s => IsCommitOrRollback(s.Query)).Sum(s => s.Calls);
        var autocommit = runner.Where(s => !IsTransactionControl(s.Query) && !s.Query.Contains("date_enqueued <", StringComparison.Ordinal)).Sum(s => s.Calls);
        return explicitEnds + autocommit;
    }

    private static bool IsTransactionControl(string query) =>
        query.StartsWith("BEGIN", StringComparison.OrdinalIgnoreCase) || IsCommitOrRollback(query);

    private static bool IsCommitOrRollback(string query) =>
        query.StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase) || query.StartsWith("ROLLBACK", StringComparison.OrdinalIgnoreCase);

    private static string Shorten(string query)
    {
        var flat = string.Join(' ', query.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 110 ? flat : flat[..107] + "...";
    }

    private static async Task<List<StatementCount>> ReadStatementsAsync(BenchmarkCluster cluster, string database)
    {
        await using var connection = await cluster.OpenAsync(database);
        await using var command = new NpgsqlCommand(
            """
            SELECT r.rolname, s.query, s.calls FROM pg_stat_statements s
            JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = @database
            """,
            connection);
        command.Parameters.AddWithValue("database", database);
        var result = new List<StatementCount>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add(new StatementCount(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return result;
    }

    private sealed record StatementCount(string Role, string Query, long Calls);
}

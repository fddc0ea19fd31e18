using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Prometheus;
using QueueExporter.Benchmarks.Rig;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper;
using QueueExporter.Scraper.Database;

namespace QueueExporter.Benchmarks.Scenarios;

/// <summary>
/// What the scraper costs the database, against the query a user would otherwise put in
/// postgres_exporter (<c>SELECT state, channel, count(*) FROM queue_job GROUP BY state, channel</c>),
/// in the same run, on the same table: shared blocks per call (hit + read, from pg_stat_statements,
/// parallel workers included) and wall time per call. The scraper's loops are the real ones
/// (<see cref="DatabaseStateRefresher"/>, <see cref="TerminalTotalsRefresher"/>,
/// <see cref="CompletionFollower"/>), logged in as their own role so that PostgreSQL counts their
/// statements apart. Cases: a large table (1 % failed, the rest done or cancelled, the active set
/// at its end as in a live table, where the unfinished jobs are the newest), a small table with the
/// same active set, then the large one with a pending backlog, without and with the optional
/// monitoring index (<see cref="SchemaInstaller.MonitoringIndexDdl"/>).
/// </summary>
internal static class ScrapeScenario
{
    private const string NaiveQuery = "SELECT state, channel, count(*) FROM queue_job GROUP BY state, channel";

    public static async Task RunAsync(BenchmarkCluster cluster, BenchmarkSettings settings, FigureTable table)
    {
        var active = settings.ScrapeActiveJobs;
        var small = await MeasureFreshTableAsync(cluster, settings, "scrape_small", settings.ScrapeSmallRows, backlog: null);
        var largeTable = await MeasureFreshTableAsync(cluster, settings, "scrape_large", settings.ScrapeLargeRows, backlog: settings.ScrapeBacklog);
        var (large, backlog, indexed) = (largeTable.Plain, largeTable.Backlog!, largeTable.Indexed!);
        string n(int rows) => $"{rows:#,0} rows, 1 % failed, {active:#,0} active";
        Report(table, $"naive GROUP BY ({n(settings.ScrapeSmallRows)})", small.Plain.Naive);
        Report(table, $"frequent refresh ({n(settings.ScrapeSmallRows)})", small.Plain.Refresh);
        Report(table, $"naive GROUP BY ({n(settings.ScrapeLargeRows)})", large.Naive);
        var largeRatio = large.Naive.Blocks / large.Refresh.Blocks;
        table.Add(new Figure("scrape", $"frequent refresh ({n(settings.ScrapeLargeRows)})", large.Refresh.Blocks, "blocks/call", $"naive {FigureTable.Format(large.Naive.Blocks)} blocks", "≥ 100× fewer blocks", largeRatio >= 100) { Ratio = largeRatio });
        table.Add(new Figure("scrape", "frequent refresh wall time (same)", large.Refresh.Milliseconds, "ms/call", $"naive {FigureTable.Format(large.Naive.Milliseconds)} ms", "", null) { Ratio = large.Naive.Milliseconds / large.Refresh.Milliseconds });
        var sameCost = large.Refresh.Blocks / small.Plain.Refresh.Blocks;
        table.Add(new Figure("scrape", $"frequent refresh blocks, {settings.ScrapeLargeRows:#,0} rows / {settings.ScrapeSmallRows:#,0} rows", sameCost, "", "same active set", "0.8–1.2", sameCost is >= 0.8 and <= 1.2));
        Report(table, $"terminal totals pass ({n(settings.ScrapeLargeRows)})", large.Terminal);
        Report(table, $"follower reconciliation ({n(settings.ScrapeLargeRows)})", large.Reconcile);

        var b = $"{settings.ScrapeLargeRows:#,0} rows + {settings.ScrapeBacklog:#,0} pending";
        Report(table, $"naive GROUP BY ({b})", backlog.Naive);
        var plainRatio = backlog.Naive.Blocks / backlog.Refresh.Blocks;
        table.Add(new Figure("scrape", $"frequent refresh, stock indexes ({b})", backlog.Refresh.Blocks, "blocks/call", $"naive {FigureTable.Format(backlog.Naive.Blocks)} blocks", "", null) { Ratio = plainRatio });
        var indexedRatio = indexed.Naive.Blocks / indexed.Refresh.Blocks;
        table.Add(new Figure("scrape", $"frequent refresh, monitoring index ({b})", indexed.Refresh.Blocks, "blocks/call", $"naive {FigureTable.Format(indexed.Naive.Blocks)} blocks", "≥ 20× fewer blocks", indexedRatio >= 20) { Ratio = indexedRatio });
        table.Add(new Figure("scrape", "frequent refresh wall time, monitoring index (same)", indexed.Refresh.Milliseconds, "ms/call", $"naive {FigureTable.Format(indexed.Naive.Milliseconds)} ms", "", null) { Ratio = indexed.Naive.Milliseconds / indexed.Refresh.Milliseconds });
        Report(table, $"terminal totals pass, monitoring index ({b})", indexed.Terminal);
    }

    private static void Report(FigureTable table, string name, Cost cost)
    {
        table.Add(new Figure("scrape", name, cost.Blocks, "blocks/call", $"{FigureTable.Format(cost.Milliseconds)} ms/call", "", null));
    }

    private static async Task<(CaseCosts Plain, CaseCosts? Backlog, CaseCosts? Indexed)> MeasureFreshTableAsync(
        BenchmarkCluster cluster, BenchmarkSettings settings, string database, int rows, int? backlog)
    {
        await cluster.CreateQueueDatabaseAsync(database, synchronousCommit: false);
        try
        {
            var clock = Stopwatch.StartNew();
            await ScrapeTableFiller.FillAsync(cluster, database, rows - settings.ScrapeActiveJobs, settings.ScrapeActiveJobs);
            Console.WriteLine($"  {database}: {rows:#,0} rows written and indexed in {clock.Elapsed.TotalSeconds:0} s; {await PagesAsync(cluster, database):#,0} heap pages");
            var plain = await MeasureCaseAsync(cluster, settings, database);
            if (backlog is not { } pending)
            {
                return (plain, null, null);
            }

            clock.Restart();
            await ScrapeTableFiller.AddBacklogAsync(cluster, database, pending);
            Console.WriteLine($"  {database}: {pending:#,0} pending jobs added in {clock.Elapsed.TotalSeconds:0} s");
            var withBacklog = await MeasureCaseAsync(cluster, settings, database);
            clock.Restart();
            await using (var connection = await cluster.OpenAsync(database))
            {
                await SchemaInstaller.InstallMonitoringIndexAsync(connection, CancellationToken.None);
                // The visibility map must cover the new rows for an index-only scan, as autovacuum would have it.
                await BenchmarkCluster.ExecuteAsync(connection, "VACUUM ANALYZE queue_job");
                Console.WriteLine($"  {database}: monitoring index built in {clock.Elapsed.TotalSeconds:0} s; {await ScalarAsync(connection, $"SELECT pg_relation_size('{SchemaInstaller.MonitoringIndexName}') / 8192"):#,0} pages");
            }

            var indexed = await MeasureCaseAsync(cluster, settings, database);
            return (plain, withBacklog, indexed);
        }
        finally
        {
            await cluster.DropDatabaseAsync(database);
        }
    }

    private static async Task<CaseCosts> MeasureCaseAsync(BenchmarkCluster cluster, BenchmarkSettings settings, string database)
    {
        var calls = settings.ScrapeCalls;
        var naive = await MeasureAsync(cluster, database, "naive GROUP BY", "postgres", calls, async () =>
        {
            await using var connection = await cluster.OpenAsync(database);
            await using var command = new NpgsqlCommand(NaiveQuery, connection) { CommandTimeout = 600 };
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
            }
        });

        var endpoint = cluster.Endpoint(database, BenchmarkCluster.ScraperRole);
        // Generous timeouts: this measures cost; a refresh that times out would measure nothing.
        var options = new ScraperOptions { StatementTimeout = TimeSpan.FromMinutes(5), TerminalTimeout = TimeSpan.FromMinutes(5) };
        var metrics = new ScraperMetrics(Metrics.NewCustomRegistry());
        await using var refresher = new DatabaseStateRefresher(database, endpoint, options, metrics, TimeProvider.System, NullLogger<DatabaseStateRefresher>.Instance);
        var refresh = await MeasureAsync(cluster, database, "frequent refresh", BenchmarkCluster.ScraperRole, calls, () => Succeeds(refresher.RefreshAsync(CancellationToken.None), "refresh"));
        await using var totals = new TerminalTotalsRefresher(database, endpoint, options, metrics, TimeProvider.System, NullLogger<TerminalTotalsRefresher>.Instance);
        var terminal = await MeasureAsync(cluster, database, "terminal totals pass", BenchmarkCluster.ScraperRole, Math.Min(calls, 2), () => Succeeds(totals.RefreshAsync(CancellationToken.None), "terminal totals"));
        await using var follower = new CompletionFollower(database, endpoint, options, metrics, TimeProvider.System, NullLoggerFactory.Instance);
        var reconcile = await MeasureAsync(cluster, database, "follower reconciliation", BenchmarkCluster.ScraperRole, calls, () => Succeeds(follower.ReconcileAsync(CancellationToken.None), "reconciliation"));
        return new CaseCosts(naive, refresh, terminal, reconcile);
    }

    private static async Task Succeeds(Task<bool> work, string what)
    {
        if (!await work)
        {
            throw new InvalidOperationException($"scrape: the {what} failed");
        }
    }

    // One untimed warm-up call (connections, schema detection, buffers), then `calls` measured ones,
    // counted by pg_stat_statements for `role` alone.
    private static async Task<Cost> MeasureAsync(BenchmarkCluster cluster, string database, string what, string role, int calls, Func<Task> call)
    {
        await call();
        await using var admin = await cluster.OpenAsync(database);
        await BenchmarkCluster.ExecuteAsync(admin, "SELECT pg_stat_statements_reset()");
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            await call();
        }

        var elapsed = clock.Elapsed.TotalMilliseconds;
        await using var command = new NpgsqlCommand(
            """
            SELECT (s.shared_blks_hit + s.shared_blks_read)::float8, s.calls, s.query
            FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = @database AND r.rolname = @role AND s.query NOT ILIKE '%pg_stat_statements%'
            ORDER BY 1 DESC
            """,
            admin);
        command.Parameters.AddWithValue("database", database);
        command.Parameters.AddWithValue("role", role);
        var blocks = 0.0;
        var breakdown = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                blocks += reader.GetDouble(0);
                if (reader.GetDouble(0) > 0)
                {
                    breakdown.Add($"{reader.GetDouble(0) / calls,12:#,0.0} blocks/call  {reader.GetInt64(1) / (double)calls,5:0.##} calls  {Shorten(reader.GetString(2))}");
                }
            }
        }

        Console.WriteLine($"  {what}: {blocks / calls:#,0.0} blocks/call, {elapsed / calls:#,0.0} ms/call");
        foreach (var line in breakdown)
        {
            Console.WriteLine("    " + line);
        }

        return new Cost(blocks / calls, elapsed / calls);
    }

    private static string Shorten(string query)
    {
        var flat = string.Join(' ', query.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 100 ? flat : flat[..97] + "...";
    }

    private static async Task<long> PagesAsync(BenchmarkCluster cluster, string database)
    {
        await using var connection = await cluster.OpenAsync(database);
        return await ScalarAsync(connection, "SELECT pg_relation_size('queue_job') / 8192");
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed record Cost(double Blocks, double Milliseconds);

    private sealed record CaseCosts(Cost Naive, Cost Refresh, Cost Terminal, Cost Reconcile);
}

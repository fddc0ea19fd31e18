using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Prometheus;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Scraper;
using QueueExporter.Scraper.Database;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Scraper;

public sealed class TerminalTotalsRefresherTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_state_estimated_above_the_exact_limit_is_in_the_job_gauge_as_the_planners_estimate_split_per_channel()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var root = await writer.EnqueueAsync(30);
        var mail = await writer.EnqueueAsync(20, "root.mail");
        foreach (var uuid in root.Concat(mail.Take(10)))
        {
            await writer.DoneAsync(uuid, Now, 1);
        }

        await ExecuteAsync(database, "ANALYZE queue_job");
        var registry = Metrics.NewCustomRegistry();
        await using var totals = NewTotals(database, new ScraperMetrics(registry), new ScraperOptions { TerminalExactLimit = 10 });

        Assert.True(await totals.RefreshAsync(CancellationToken.None));

        var metrics = await ExportedMetrics.ReadAsync(registry);
        // ANALYZE of a 50-row table reads every row: the estimate is exact here.
        Assert.Equal(40, metrics.Value("queue_job_jobs_estimated", ("database", database.Name), ("state", JobStates.Done)));
        Assert.Equal(0, metrics.Value("queue_job_jobs_estimated", ("database", database.Name), ("state", JobStates.Failed)));
        // Split as the planner would, channels independent of states: 40 × 30/50 and 40 × 20/50
        // (the truth is 30 and 10); queue_job_jobs_exact says it is an estimate.
        Assert.Equal(24, metrics.Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Done)));
        Assert.Equal(16, metrics.Value("queue_job_jobs", ("database", database.Name), ("channel", "root.mail"), ("state", JobStates.Done)));
        Assert.Equal(0, metrics.Value("queue_job_jobs_exact", ("database", database.Name), ("state", JobStates.Done)));
        Assert.Null(metrics.Value("queue_job_reconcile_last_success_timestamp_seconds", ("database", database.Name), ("what", JobStates.Done)));
        // failed, under the limit, was counted exactly after its estimate.
        Assert.Equal(0, metrics.Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Failed)));
        Assert.Equal(1, metrics.Value("queue_job_jobs_exact", ("database", database.Name), ("state", JobStates.Failed)));
    }

    [Fact]
    public async Task A_terminal_count_that_times_out_keeps_its_last_value_through_later_refreshes()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var writer = await QueueJobTableWriter.OpenAsync(database);
        var jobs = await writer.EnqueueAsync(3);
        await writer.FailedAsync(jobs[0], "odoo.exceptions.UserError");
        var registry = Metrics.NewCustomRegistry();
        var scraperMetrics = new ScraperMetrics(registry);
        var options = new ScraperOptions { TerminalTimeout = TimeSpan.FromMilliseconds(300), StatementTimeout = TimeSpan.FromSeconds(2) };
        await using var totals = NewTotals(database, scraperMetrics, options);
        await using var refresher = new DatabaseStateRefresher(
            database.Name, database.Endpoint, options, scraperMetrics, TimeProvider.System, NullLogger<DatabaseStateRefresher>.Instance);
        Assert.True(await totals.RefreshAsync(CancellationToken.None));
        var before = await ExportedMetrics.ReadAsync(registry);
        var lastCount = before.Value("queue_job_reconcile_last_success_timestamp_seconds", ("database", database.Name), ("what", JobStates.Failed));

        // A session that holds the table's strongest lock stops every read of it until it ends.
        await using (var blocker = await database.OpenConnectionAsync())
        {
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE queue_job IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            // The database answered (its catalog is not locked); only the counts gave up.
            Assert.True(await totals.RefreshAsync(CancellationToken.None));
            var during = await ExportedMetrics.ReadAsync(registry);
            Assert.Equal(1, during.Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Failed)));
            // The count that gave up left its last-success time where the last good count put it.
            Assert.Equal(lastCount, during.Value("queue_job_reconcile_last_success_timestamp_seconds", ("database", database.Name), ("what", JobStates.Failed)));
        }

        Assert.True(await refresher.RefreshAsync(CancellationToken.None));
        var after = await ExportedMetrics.ReadAsync(registry);
        Assert.Equal(2, after.Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Pending)));
        Assert.Equal(1, after.Value("queue_job_jobs", ("database", database.Name), ("channel", "root"), ("state", JobStates.Failed)));
    }

    private static async Task ExecuteAsync(TestDatabase database, string sql)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static TerminalTotalsRefresher NewTotals(TestDatabase database, ScraperMetrics metrics, ScraperOptions options) => new(
        database.Name,
        database.Endpoint,
        options,
        metrics,
        TimeProvider.System,
        NullLogger<TerminalTotalsRefresher>.Instance);
}

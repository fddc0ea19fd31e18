using Npgsql;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;
using QueueExporter.Scraper.Database;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.QueueJob;

/// <summary>The optional index of <c>schema install --monitoring-index</c>, on every table generation.</summary>
public sealed class MonitoringIndexTests
{
    public static TheoryData<QueueJobShape> Shapes => [QueueJobShape.Odoo12Old, QueueJobShape.Odoo13, QueueJobShape.Odoo14To17, QueueJobShape.Odoo18];

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task The_index_installs_on_every_generation_and_serves_the_unfinished_counts_as_an_index_only_scan(QueueJobShape shape)
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(shape);
        await using var connection = await database.OpenConnectionAsync();
        Assert.False((await SchemaDetector.DetectAsync(connection, CancellationToken.None)).HasMonitoringIndex);

        await SchemaInstaller.InstallMonitoringIndexAsync(connection, CancellationToken.None);
        await SchemaInstaller.InstallMonitoringIndexAsync(connection, CancellationToken.None);

        var schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);
        Assert.True(schema.HasMonitoringIndex);
        // The planner must be able to prove that the refresh's states imply the index's predicate,
        // with the states passed as a parameter exactly as the scraper passes them, and find every
        // column it reads in the index.
        await using (var fill = new NpgsqlCommand(
            """
            INSERT INTO queue_job (uuid, state, channel, date_created)
            SELECT gen_random_uuid()::text, CASE WHEN g % 50 = 0 THEN 'pending' ELSE 'done' END, 'root', now() AT TIME ZONE 'utc'
            FROM generate_series(1, 5000) AS g
            """,
            connection))
        {
            await fill.ExecuteNonQueryAsync();
        }

        // As autovacuum leaves a table: analysed, visibility map set (VACUUM runs outside a transaction
        // block, alone). On so small a table the stock state index costs about the same, so it goes:
        // what is tested is that the planner can use the monitoring index, not which of two it prefers.
        foreach (var sql in (string[])["VACUUM ANALYZE queue_job", "DROP INDEX queue_job_state_index", "SET enable_seqscan = off", "SET enable_bitmapscan = off"])
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + ActiveStatesQuery.Sql, connection);
        explain.Parameters.AddWithValue("states", ActiveStatesQuery.StatesOf(schema).ToArray());
        explain.Parameters.AddWithValue("now", DbTime.ToDb(DateTimeOffset.UtcNow));
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        Assert.Contains(plan, line => line.Contains($"Index Only Scan using {SchemaInstaller.MonitoringIndexName}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_invalid_index_left_by_an_interrupted_build_is_not_reported_and_is_built_again()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var connection = await database.OpenConnectionAsync();
        await SchemaInstaller.InstallMonitoringIndexAsync(connection, CancellationToken.None);
        // What a cancelled CREATE INDEX CONCURRENTLY leaves behind.
        await using (var invalidate = new NpgsqlCommand($"UPDATE pg_index SET indisvalid = false WHERE indexrelid = '{SchemaInstaller.MonitoringIndexName}'::regclass", connection))
        {
            await invalidate.ExecuteNonQueryAsync();
        }

        Assert.False((await SchemaDetector.DetectAsync(connection, CancellationToken.None)).HasMonitoringIndex);

        await SchemaInstaller.InstallMonitoringIndexAsync(connection, CancellationToken.None);

        Assert.True((await SchemaDetector.DetectAsync(connection, CancellationToken.None)).HasMonitoringIndex);
    }
}

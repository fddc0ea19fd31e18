using Npgsql;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.QueueJob;

public class SchemaTests
{
    [Fact]
    public async Task Install_is_idempotent_and_gives_the_16_shape_with_trigger_and_lock_table()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateEmptyDatabaseAsync();
        await using var connection = await database.OpenConnectionAsync();

        await SchemaInstaller.InstallAsync(connection, CancellationToken.None);
        await SchemaInstaller.InstallAsync(connection, CancellationToken.None);
        var schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);

        Assert.Equal(QueueJobShape.Odoo14To17, schema.Shape);
        Assert.True(schema.HasNotifyTrigger);
        Assert.True(schema.HasLockTable);
        Assert.Empty(schema.Unavailable);
        await using var triggers = new NpgsqlCommand("SELECT count(*) FROM pg_trigger WHERE tgname = 'queue_job_notify'", connection);
        Assert.Equal(1L, await triggers.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_role_that_may_only_read_the_table_still_sees_the_trigger()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var role = "qe_readonly_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = await database.OpenConnectionAsync())
        {
            await using var grant = new NpgsqlCommand($"CREATE ROLE \"{role}\" LOGIN; GRANT SELECT ON queue_job TO \"{role}\"", admin);
            await grant.ExecuteNonQueryAsync();
        }

        var endpoint = QueueExporter.QueueJob.Connection.DatabaseEndpoint.Parse($"postgres://{role}@{database.Endpoint.Host}:{database.Endpoint.Port}/{database.Name}");
        await using var reader = new NpgsqlConnection(endpoint.ToConnectionString("schema-test", pooling: false));
        await reader.OpenAsync();
        var schema = await SchemaDetector.DetectAsync(reader, CancellationToken.None);

        Assert.True(schema.HasNotifyTrigger);
    }

    [Fact]
    public async Task Concurrent_installs_do_not_fail()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateEmptyDatabaseAsync();

        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var connection = await database.OpenConnectionAsync();
            await SchemaInstaller.InstallAsync(connection, CancellationToken.None);
        }));

        await using var check = await database.OpenConnectionAsync();
        Assert.Equal(QueueJobShape.Odoo14To17, (await SchemaDetector.DetectAsync(check, CancellationToken.None)).Shape);
    }

    [Theory]
    [InlineData(QueueJobShape.Odoo12Old, 5, false)]
    [InlineData(QueueJobShape.Odoo13, 5, false)]
    [InlineData(QueueJobShape.Odoo14To17, 7, true)]
    [InlineData(QueueJobShape.Odoo18, 7, true)]
    public async Task Detection_reports_the_shape_of_each_odoo_generation(QueueJobShape shape, int states, bool lockTable)
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(shape);
        await using var connection = await database.OpenConnectionAsync();

        var schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);

        Assert.Equal(shape, schema.Shape);
        Assert.Equal(states, schema.States.Count);
        Assert.True(schema.HasNotifyTrigger);
        Assert.Equal(lockTable, schema.HasLockTable);
        Assert.Equal(shape == QueueJobShape.Odoo18, schema.ArgumentsAreJsonb);
    }

    [Fact]
    public async Task A_database_without_queue_job_is_reported_by_name()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateEmptyDatabaseAsync();
        await using var connection = await database.OpenConnectionAsync();

        var error = await Assert.ThrowsAsync<QueueJobTableMissingException>(() => SchemaDetector.DetectAsync(connection, CancellationToken.None));

        Assert.Contains($"database \"{database.Name}\" has no queue_job table", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_trigger_is_detected()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var connection = await database.OpenConnectionAsync();
        await using (var drop = new NpgsqlCommand("DROP TRIGGER queue_job_notify ON queue_job", connection))
        {
            await drop.ExecuteNonQueryAsync();
        }

        var schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);

        Assert.False(schema.HasNotifyTrigger);
        Assert.Contains(schema.Unavailable, line => line.Contains("queue_job_notify", StringComparison.Ordinal));
    }
}

using Dapper;
using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.QueueJob;

public class JobEnqueuerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_enqueued_job_is_a_pending_row_a_runner_accepts_and_fires_notify_with_its_uuid()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var listener = await database.OpenConnectionAsync();
        var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) => notified.TrySetResult(e.Payload);
        await listener.ExecuteAsync("LISTEN queue_job");
        await using var connection = await database.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
        var eta = new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.FromHours(1));
        var before = DateTime.UtcNow.AddSeconds(-1);

        var uuid = await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "res.partner", MethodName = "send", Channel = "mail", Priority = 5, Eta = eta, ArgsJson = "[1]" }, null, CancellationToken.None);

        var row = await connection.QuerySingleAsync("SELECT * FROM queue_job WHERE uuid = @uuid", new { uuid });
        Assert.Equal(JobStates.Pending, (string)row.state);
        Assert.Equal("root.mail", (string)row.channel);
        Assert.Equal(5, (int)row.priority);
        Assert.Equal(DbTime.ToDb(eta), (DateTime)row.eta);
        Assert.InRange((DateTime)row.date_created, before, DateTime.UtcNow.AddSeconds(1));
        Assert.Equal("[1]", (string)row.args);
        Assert.Equal(5, (int)row.max_retries);
        Assert.Equal(0, (int)row.retry);
        Assert.True(Guid.TryParse(uuid, out _));
        await listener.WaitAsync(Timeout);
        Assert.Equal(uuid, await notified.Task.WaitAsync(Timeout));
    }

    [Theory]
    [InlineData(QueueJobShape.Odoo12Old)]
    [InlineData(QueueJobShape.Odoo13)]
    [InlineData(QueueJobShape.Odoo18)]
    public async Task Jobs_are_written_in_the_columns_each_generation_has(QueueJobShape shape)
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(shape);
        await using var connection = await database.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));

        var uuids = await enqueuer.EnqueueManyAsync(connection, [.. Enumerable.Range(0, 50).Select(i => new NewJob { ModelName = "m", MethodName = "f", ArgsJson = $"[{i}]" })], null, CancellationToken.None);

        Assert.Equal(50, uuids.Distinct().Count());
        Assert.Equal(50L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM queue_job WHERE state = 'pending' AND channel = 'root'"));
        Assert.Equal("[7]", await connection.ExecuteScalarAsync<string>("SELECT args::text FROM queue_job WHERE uuid = @u", new { u = uuids[7] }));
    }

    [Fact]
    public async Task A_job_in_a_rolled_back_transaction_leaves_no_row()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var connection = await database.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));

        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "m", MethodName = "f" }, transaction, CancellationToken.None);
            await transaction.RollbackAsync();
        }

        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM queue_job"));
    }

    [Fact]
    public async Task A_dependent_job_waits_and_is_recorded_in_its_parents_graph()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var connection = await database.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
        var parent = await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "m", MethodName = "parent" }, null, CancellationToken.None);

        var child = await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "m", MethodName = "child", DependsOn = [parent] }, null, CancellationToken.None);

        Assert.Equal(JobStates.WaitDependencies, await connection.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @child", new { child }));
        var reverse = await connection.ExecuteScalarAsync<string>("SELECT dependencies::jsonb -> 'reverse_depends_on' ->> 0 FROM queue_job WHERE uuid = @parent", new { parent });
        Assert.Equal(child, reverse);
        Assert.Equal(parent, await connection.ExecuteScalarAsync<string>("SELECT dependencies::jsonb -> 'depends_on' ->> 0 FROM queue_job WHERE uuid = @child", new { child }));
    }

    [Fact]
    public async Task Dependencies_on_a_13_table_are_refused_with_a_clear_message()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(QueueJobShape.Odoo13);
        await using var connection = await database.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "m", MethodName = "f", DependsOn = ["x"] }, null, CancellationToken.None));

        Assert.Contains("has no job dependencies", error.Message, StringComparison.Ordinal);
    }
}

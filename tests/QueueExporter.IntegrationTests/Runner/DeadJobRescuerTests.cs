using Dapper;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Leadership;
using QueueExporter.Runner.Rescue;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>The rescue against real rows: the lease fence, and the older table shapes without queue_job_lock.</summary>
public sealed class DeadJobRescuerTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_deposed_leader_rescues_nothing_and_the_leader_holding_the_lock_does()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var connection = await database.OpenConnectionAsync();
        var schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);
        var uuid = await new JobEnqueuer(schema).EnqueueAsync(connection, new NewJob { ModelName = "m", MethodName = "x" }, null, CancellationToken.None);
        await connection.ExecuteAsync("UPDATE queue_job SET state = 'enqueued', date_enqueued = (now() at time zone 'utc') - interval '1 minute' WHERE uuid = @uuid", new { uuid });
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var rescuer = new DeadJobRescuer(clock, Grace, TimeSpan.FromMinutes(5), DeadJobRescuer.DefaultBatchLimit);
        await using var leader = await database.OpenConnectionAsync();
        // Negative: its high half reads back from pg_locks as an unsigned classid, which the fence must match.
        const long token = -0x0123456789ABCDEF;
        await leader.ExecuteAsync("SELECT pg_advisory_lock(@key), pg_advisory_lock(@token)", new { key = LeaderLock.Key, token });
        var lease = new Lease(database.Name, 1, leader.ProcessID, token);
        Assert.Empty(await rescuer.RescueAsync(connection, schema, lease, CancellationToken.None));
        clock.Advance(Grace);

        // A lease whose token no session holds (its session ended): deposed, on another connection as on the leader's own.
        var deposed = lease with { LeaderToken = token + 1 };
        Assert.Empty(await rescuer.RescueAsync(connection, schema, deposed, CancellationToken.None));
        Assert.Empty(await rescuer.RescueAsync(leader, schema, deposed, CancellationToken.None));
        Assert.Equal(JobStates.Enqueued, await connection.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @uuid", new { uuid }));

        // The runner rescues on the leader session, where the fence reads pg_locks.
        Assert.Equal([new RescuedJob(uuid, JobStates.Pending)], await rescuer.RescueAsync(leader, schema, lease, CancellationToken.None));
    }

    [Theory]
    [InlineData(QueueJobShape.Odoo13)]
    [InlineData(QueueJobShape.Odoo12Old)]
    public async Task Without_a_lock_table_only_enqueued_jobs_older_than_the_timeout_are_rescued(QueueJobShape shape)
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(shape);
        await using var connection = await database.OpenConnectionAsync();
        var schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);
        var enqueuer = new JobEnqueuer(schema);
        var stuck = await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "m", MethodName = "x" }, null, CancellationToken.None);
        var running = await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "m", MethodName = "x" }, null, CancellationToken.None);
        await connection.ExecuteAsync("UPDATE queue_job SET state = 'enqueued', date_enqueued = (now() at time zone 'utc') - interval '10 minutes' WHERE uuid = @stuck", new { stuck });
        await connection.ExecuteAsync("UPDATE queue_job SET state = 'started', date_enqueued = (now() at time zone 'utc') - interval '10 minutes' WHERE uuid = @running", new { running });
        var rescuer = new DeadJobRescuer(TimeProvider.System, Grace, TimeSpan.FromMinutes(5), DeadJobRescuer.DefaultBatchLimit);

        var rescued = await rescuer.RescueAsync(connection, schema, lease: null, CancellationToken.None);

        Assert.Equal([new RescuedJob(stuck, JobStates.Pending)], rescued);
        Assert.Equal(JobStates.Started, await connection.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @running", new { running }));
    }
}

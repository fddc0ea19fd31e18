using Microsoft.Extensions.Time.Testing;
using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.Runner.Rescue;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// The deterministic core of what the worker-crash and database-restart scenarios found: a run that
/// dies (SIGKILL, or its connection cut by a restart) leaves its queue_job_lock row behind, free. The
/// rescue puts the job back to pending but keeps that row; the next run adds its own row and holds
/// it, yet the stale free row still makes the job look dead, so it is rescued and dispatched again
/// while it runs: the same job twice at once.
/// </summary>
public sealed class StaleLockRowTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_job_running_with_its_lock_row_held_is_not_rescued_because_of_a_dead_earlier_run()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        await using var connection = await database.OpenConnectionAsync();
        var schema = await SchemaDetector.DetectAsync(connection, CancellationToken.None);
        var uuid = await new JobEnqueuer(schema).EnqueueAsync(connection, new NewJob { ModelName = "queue.demo", MethodName = "slow" }, null, CancellationToken.None);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var rescuer = new DeadJobRescuer(clock, Grace, TimeSpan.FromMinutes(5), batchLimit: 100);

        // First run, as the worker starts it (started + its lock row), then the worker is SIGKILLed: the row stays, free.
        await ExecuteAsync(connection, "UPDATE queue_job SET state = 'started', date_enqueued = now() at time zone 'utc' - interval '5 seconds' WHERE uuid = @uuid", uuid);
        await ExecuteAsync(connection, "INSERT INTO queue_job_lock (queue_job_id) SELECT id FROM queue_job WHERE uuid = @uuid", uuid);
        // Requeued only once it has been seen dead for a whole grace.
        Assert.Empty(await rescuer.RescueAsync(connection, schema, lease: null, CancellationToken.None));
        clock.Advance(Grace);
        var firstRescue = await rescuer.RescueAsync(connection, schema, lease: null, CancellationToken.None);
        Assert.Contains(firstRescue, r => r.Uuid == uuid && r.NewState == JobStates.Pending);

        // Second run: dispatched again, started by a live worker that holds its own new lock row.
        await ExecuteAsync(connection, "UPDATE queue_job SET state = 'started', date_enqueued = now() at time zone 'utc' WHERE uuid = @uuid", uuid);
        await using var worker = await database.OpenConnectionAsync();
        int lockId;
        await using (var insert = new NpgsqlCommand("INSERT INTO queue_job_lock (queue_job_id) SELECT id FROM queue_job WHERE uuid = @uuid RETURNING id", worker))
        {
            insert.Parameters.AddWithValue("uuid", uuid);
            lockId = (int)(await insert.ExecuteScalarAsync())!;
        }

        await using var running = await worker.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT id FROM queue_job_lock WHERE id = @id FOR NO KEY UPDATE", worker, running))
        {
            hold.Parameters.AddWithValue("id", lockId);
            await hold.ExecuteScalarAsync();
        }

        // Past the grace of the second dispatch, while the second run still holds its row.
        // Past the grace of the second dispatch (twice: sighting, then due), while the second run still holds its row.
        clock.Advance(Grace + TimeSpan.FromSeconds(1));
        var secondRescue = await rescuer.RescueAsync(connection, schema, lease: null, CancellationToken.None);
        clock.Advance(Grace);
        var thirdRescue = await rescuer.RescueAsync(connection, schema, lease: null, CancellationToken.None);

        Assert.DoesNotContain(secondRescue, r => r.Uuid == uuid);
        Assert.DoesNotContain(thirdRescue, r => r.Uuid == uuid);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, string uuid)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("uuid", uuid);
        await command.ExecuteNonQueryAsync();
    }
}

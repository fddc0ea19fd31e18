using Dapper;
using Npgsql;
using QueueExporter.Runner.Dispatch;
using static QueueExporter.IntegrationTests.Runner.LeaseFenceTests;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>
/// The warm-up of the dispatch's pooled connection plans the enqueue batch in real PostgreSQL without running it:
/// no row moves, nothing is notified, and neither the leader key nor the in-flight key is held afterwards.
/// </summary>
public class EnqueuePlanWarmUpTests
{
    [Fact]
    public async Task Planning_the_enqueue_moves_no_job_notifies_nothing_and_holds_no_lock()
    {
        await using var db = await CreateDatabaseAsync();
        var job = await OneJobAsync(db);
        await using var listener = await db.OpenConnectionAsync();
        var notified = 0;
        listener.Notification += (_, _) => Interlocked.Increment(ref notified);
        await listener.ExecuteAsync("LISTEN queue_job");
        await using var connection = await db.OpenConnectionAsync();

        await JobStateWriter.PlanEnqueueAsync(connection, CancellationToken.None);

        Assert.Equal("pending", await connection.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @job", new { job }));
        Assert.Null(await connection.ExecuteScalarAsync<DateTime?>("SELECT date_enqueued FROM queue_job WHERE uuid = @job", new { job }));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"));

        // A notification would have been sent at commit; a round trip on the listener after the plan brings it if it was.
        await listener.ExecuteAsync("SELECT 1");
        Assert.Equal(0, notified);

        // The connection is as usable as before: the real enqueue runs on it.
        await using var session = await db.OpenConnectionAsync();
        var lease = await LeadAsync(session, db);
        Assert.Equal([job], await JobStateWriter.MarkEnqueuedAsync(connection, lease, [job], DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task Planning_fails_loudly_where_the_enqueue_would()
    {
        await using var db = await CreateDatabaseAsync();
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("DROP TABLE queue_job CASCADE");

        // The caller logs this at debug and goes on: the real enqueue would report the same problem itself.
        await Assert.ThrowsAsync<PostgresException>(() => JobStateWriter.PlanEnqueueAsync(connection, CancellationToken.None));
    }
}

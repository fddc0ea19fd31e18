using Dapper;
using Npgsql;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.Runner.Dispatch;
using QueueExporter.Runner.Leadership;
using QueueExporter.TestSupport;
using static QueueExporter.IntegrationTests.Runner.RunnerDispatchTests;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>The lease fence in real PostgreSQL: a write names the leader session, and matches nothing once that session is gone.</summary>
public class LeaseFenceTests
{
    [Fact]
    public async Task A_deposed_leaders_enqueue_matches_nothing_while_the_new_leaders_does()
    {
        await using var db = await CreateDatabaseAsync();
        var first = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        var second = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        await using var writer = await db.OpenConnectionAsync();

        Lease oldLease;
        await using (var leaderSession = await db.OpenConnectionAsync())
        {
            oldLease = (await LeaderLock.TryAcquireAsync(leaderSession, db.Name, CancellationToken.None))!;
            Assert.Equal([first], await JobStateWriter.MarkEnqueuedAsync(writer, oldLease, [first], DateTimeOffset.UtcNow, CancellationToken.None));

            await using var admin = await db.OpenConnectionAsync();
            await admin.ExecuteAsync("SELECT pg_terminate_backend(@pid)", new { pid = oldLease.LeaderPid });
        }

        NpgsqlConnection.ClearAllPools();
        await using var newSession = await db.OpenConnectionAsync();
        Lease? newLease = null;
        // pg_terminate_backend only signals: the old session releases the lock when its backend has exited.
        await Eventually.UntilAsync(async () => (newLease = await LeaderLock.TryAcquireAsync(newSession, db.Name, CancellationToken.None)) is not null, TimeSpan.FromSeconds(10), "the new session takes the lock");
        Assert.True(newLease!.Epoch > oldLease.Epoch);

        await using var late = await db.OpenConnectionAsync();
        Assert.Empty(await JobStateWriter.MarkEnqueuedAsync(late, oldLease, [second], DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal("pending", await late.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @second", new { second }));
        Assert.Equal([second], await JobStateWriter.MarkEnqueuedAsync(late, newLease, [second], DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task A_session_that_holds_no_lock_cannot_pass_for_the_leader()
    {
        await using var db = await CreateDatabaseAsync();
        var job = await EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });
        await using var session = await db.OpenConnectionAsync();
        var lease = (await LeaderLock.TryAcquireAsync(session, db.Name, CancellationToken.None))!;
        await session.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = LeaderLock.Key });

        await using var writer = await db.OpenConnectionAsync();
        Assert.Empty(await JobStateWriter.MarkEnqueuedAsync(writer, lease, [job], DateTimeOffset.UtcNow, CancellationToken.None));
    }
}

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
        var first = await OneJobAsync(db);
        var second = await OneJobAsync(db);
        await using var writer = await db.OpenConnectionAsync();

        Lease oldLease;
        await using (var leaderSession = await db.OpenConnectionAsync())
        {
            oldLease = await LeadAsync(leaderSession, db);
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
    public async Task A_live_session_that_released_its_locks_cannot_pass_for_the_leader()
    {
        // The runner never unlocks (its leadership ends with the session); a session that did is no leader.
        await using var db = await CreateDatabaseAsync();
        var job = await OneJobAsync(db);
        await using var session = await db.OpenConnectionAsync();
        var lease = await LeadAsync(session, db);
        await session.ExecuteAsync("SELECT pg_advisory_unlock_all()");

        await using var writer = await db.OpenConnectionAsync();
        Assert.Empty(await JobStateWriter.MarkEnqueuedAsync(writer, lease, [job], DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Empty(await JobStateWriter.MarkEnqueuedAsync(session, lease, [job], DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task A_fence_check_leaves_no_lock_behind_whether_it_passes_or_not()
    {
        // On a pooled connection the check is a conditional shared lock on the token: refused while the leader
        // holds it, granted once the leader is gone, and then only for the checking transaction. Left held, it
        // would be taken for a live leader by every later check.
        await using var db = await CreateDatabaseAsync();
        var first = await OneJobAsync(db);
        var second = await OneJobAsync(db);
        await using var writer = await db.OpenConnectionAsync();
        Lease lease;
        await using (var session = await db.OpenConnectionAsync())
        {
            lease = await LeadAsync(session, db);
            Assert.Equal([first], await JobStateWriter.MarkEnqueuedAsync(writer, lease, [first], DateTimeOffset.UtcNow, CancellationToken.None));
            Assert.Equal(0, await AdvisoryLocksAsync(writer));
        }

        // Closing the session only asks its backend to exit; the token is held until it has.
        NpgsqlConnection.ClearAllPools();
        var (high, low) = LeaseFence.Split(lease.LeaderToken);
        await Eventually.UntilAsync(
            async () => await writer.ExecuteScalarAsync<long>(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = @high AND objid::bigint = @low AND objsubid = 1", new { high, low }) == 0,
            TimeSpan.FromSeconds(10),
            "the ended leader session's backend releases its token");
        for (var i = 0; i < 2; i++)
        {
            Assert.Empty(await JobStateWriter.MarkEnqueuedAsync(writer, lease, [second], DateTimeOffset.UtcNow, CancellationToken.None));
            Assert.Equal(0, await AdvisoryLocksAsync(writer));
        }

        Assert.Equal("pending", await writer.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @second", new { second }));
    }

    [Fact]
    public async Task A_live_session_with_the_leaders_pid_and_lock_but_another_token_cannot_pass()
    {
        // After a server restart a new session can get the old leader's pid and take the leader lock; only
        // the lease's random token tells it apart. Here: the real leader session, named by a lease whose
        // token it never took.
        await using var db = await CreateDatabaseAsync();
        var job = await OneJobAsync(db);
        await using var session = await db.OpenConnectionAsync();
        var lease = await LeadAsync(session, db);
        var impostor = lease with { LeaderToken = LeaderLock.NewToken() };

        await using var writer = await db.OpenConnectionAsync();
        Assert.Empty(await JobStateWriter.MarkEnqueuedAsync(writer, impostor, [job], DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Equal([job], await JobStateWriter.MarkEnqueuedAsync(writer, lease, [job], DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task The_leader_session_itself_passes_its_own_fence()
    {
        // The dead-job rescue runs on the listening session: the fence must hold there too.
        await using var db = await CreateDatabaseAsync();
        var job = await OneJobAsync(db);
        await using var session = await db.OpenConnectionAsync();
        var lease = await LeadAsync(session, db);

        Assert.Equal([job], await JobStateWriter.MarkEnqueuedAsync(session, lease, [job], DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task A_new_leader_waits_for_a_write_that_passed_the_old_fence_before_it_reads()
    {
        await using var db = await CreateDatabaseAsync();
        var job = await OneJobAsync(db);
        await using var oldSession = await db.OpenConnectionAsync();
        var oldLease = await LeadAsync(oldSession, db);

        // A write of the old leader that passed its fence and has not committed yet.
        await using var inFlight = await db.OpenConnectionAsync();
        await using var transaction = await inFlight.BeginTransactionAsync();
        Assert.Equal([job], await JobStateWriter.MarkEnqueuedAsync(inFlight, oldLease, [job], DateTimeOffset.UtcNow, CancellationToken.None));

        await oldSession.CloseAsync(); // the old leader's session ends: the leader lock is free
        await using var newSession = await db.OpenConnectionAsync();
        Lease? newLease = null;
        await Eventually.UntilAsync(async () => (newLease = await LeaderLock.TryAcquireAsync(newSession, db.Name, CancellationToken.None)) is not null, TimeSpan.FromSeconds(10), "the new session takes the lock");
        var newPid = newSession.ProcessID;
        var waiting = LeaseFence.WaitForInFlightWritesAsync(newSession, CancellationToken.None);

        await using var probe = await db.OpenConnectionAsync();
        await Eventually.UntilAsync(
            async () => await probe.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE pid = @newPid AND locktype = 'advisory' AND NOT granted", new { newPid }) == 1,
            TimeSpan.FromSeconds(10),
            "the new leader waits on the in-flight write");
        Assert.False(waiting.IsCompleted);

        await transaction.CommitAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("enqueued", await probe.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @job", new { job }));
    }

    private static Task<long> AdvisoryLocksAsync(NpgsqlConnection connection) =>
        connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");

    /// <summary>One pending job in <paramref name="db"/>; its uuid.</summary>
    internal static Task<string> OneJobAsync(TestDatabase db) => EnqueueAsync(db, new NewJob { ModelName = "m", MethodName = "x" });

    /// <summary>The lease <paramref name="session"/> takes on <paramref name="db"/>, which must be free.</summary>
    internal static async Task<Lease> LeadAsync(NpgsqlConnection session, TestDatabase db) =>
        await LeaderLock.TryAcquireAsync(session, db.Name, CancellationToken.None) ?? throw new InvalidOperationException($"the leader lock of {db.Name} is held");
}

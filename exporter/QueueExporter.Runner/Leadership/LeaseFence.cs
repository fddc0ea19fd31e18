using Npgsql;
using NpgsqlTypes;

namespace QueueExporter.Runner.Leadership;

/// <summary>
/// Fences a write by a lease: <see cref="Predicate"/> is true only while the leader session named by the
/// lease is still alive and still holds OCA's advisory lock. That session took the lease's random token
/// (<see cref="Lease.LeaderToken"/>) right after the leader lock, no other session takes it, and it
/// releases neither before it ends (advisory session locks go only with an unlock, which the runner never
/// sends, or with the session). So "some session holds the token exclusively" means "the leader session
/// lives and leads", and a pid reused after a server restart names nothing. A pooled connection asks that
/// with one conditional lock request, <c>pg_try_advisory_xact_lock_shared(token)</c>: refused while the
/// leader holds it, granted (for this transaction only, harming nothing) once it is gone. That is one
/// lookup in the lock table where the read of <c>pg_locks</c> before took every lock-table partition lock
/// and copied every backend's locks: 0.002 ms against 0.053 ms above <c>SELECT 1</c> (pgbench on an idle
/// server with 33 sessions; under load the read also waits on every backend taking locks). On the leader session itself (the rescue runs there) the request would be granted by its
/// own lock, so there the fence reads <c>pg_locks</c> for its pid holding both keys, as before.
/// A runner whose listening session was cut, or whose server restarted, may still have writes in flight
/// on pooled connections; with this predicate in their WHERE clause they match nothing, so a deposed
/// leader can never enqueue or rescue a job beside the new one. The check is made by the same statement
/// that writes, so there is no window between checking and writing.
/// One window remains without more: a fenced write that passed its check just before the old session
/// died may commit after the new leader has loaded the table, and the new leader would count that job as
/// pending while it runs. So every fenced write first takes a shared transaction lock on a second key
/// (<see cref="Barrier"/>), and a new leader, right after taking the leader lock, takes that key
/// exclusively once (<see cref="WaitForInFlightWritesAsync"/>): it waits for every write that could have
/// passed the old fence to commit before it reads anything.
/// </summary>
internal static class LeaseFence
{
    // pg_locks shows a bigint advisory key as classid (high 32 bits), objid (low 32 bits), objsubid 1:
    // 534064080 = LeaderLock.Key >> 32 and 3147384238 = LeaderLock.Key & 0xFFFFFFFF (a unit test checks both).
    internal const long KeyHigh = 534064080;
    internal const long KeyLow = 3147384238;

    /// <summary>
    /// A boolean SQL expression over the parameters <c>@lease_pid</c>, <c>@lease_token</c>, <c>@lease_token_high</c> and
    /// <c>@lease_token_low</c>. A sub-select, so PostgreSQL evaluates it once per statement, not once per row.
    /// </summary>
    public const string Predicate = """
        (SELECT CASE WHEN pg_catalog.pg_backend_pid() = @lease_pid
            THEN (SELECT count(DISTINCT lk.objid) FROM pg_catalog.pg_locks lk
                  WHERE lk.locktype = 'advisory' AND lk.granted AND lk.pid = @lease_pid AND lk.objsubid = 1
                    AND ((lk.classid::bigint = 534064080 AND lk.objid::bigint = 3147384238)
                         OR (lk.classid::bigint = @lease_token_high AND lk.objid::bigint = @lease_token_low))) = 2
            ELSE NOT pg_catalog.pg_try_advisory_xact_lock_shared(@lease_token) END)
        """;

    /// <summary>The second key, for in-flight fenced writes only; OCA's runner never takes it.</summary>
    public const long InFlightKey = LeaderLock.Key + 1;

    /// <summary>The statement to run first, in the same transaction as a fenced write.</summary>
    public const string Barrier = "SELECT pg_advisory_xact_lock_shared(2293787760715711919)";

    /// <summary>On the new leader's session, just after taking the leader lock: waits until every fenced write in flight has committed.</summary>
    public static async Task WaitForInFlightWritesAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key), pg_advisory_unlock(@key)", connection);
        command.Parameters.AddWithValue("key", InFlightKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds the parameters <see cref="Predicate"/> reads, for <paramref name="lease"/>.</summary>
    public static void AddParameters(NpgsqlParameterCollection parameters, Lease lease)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(lease);
        var (high, low) = Split(lease.LeaderToken);
        parameters.Add(new NpgsqlParameter<int>("lease_pid", NpgsqlDbType.Integer) { TypedValue = lease.LeaderPid });
        parameters.Add(new NpgsqlParameter<long>("lease_token", NpgsqlDbType.Bigint) { TypedValue = lease.LeaderToken });
        parameters.Add(new NpgsqlParameter<long>("lease_token_high", NpgsqlDbType.Bigint) { TypedValue = high });
        parameters.Add(new NpgsqlParameter<long>("lease_token_low", NpgsqlDbType.Bigint) { TypedValue = low });
    }

    /// <summary>How pg_locks shows a bigint advisory key: classid is its high 32 bits, objid its low 32 bits, both unsigned.</summary>
    public static (long High, long Low) Split(long key) => ((long)((ulong)key >> 32), (long)((ulong)key & 0xFFFFFFFF));
}

using Npgsql;
using NpgsqlTypes;

namespace QueueExporter.Runner.Leadership;

/// <summary>
/// Fences a write by a lease: <see cref="Predicate"/> is true only while the leader session named by the
/// lease is still alive (same pid and backend start) and still holds OCA's advisory lock. A runner whose
/// listening session was cut, or whose server restarted, may still have writes in flight on pooled
/// connections; with this predicate in their WHERE clause they match nothing, so a deposed leader can
/// never enqueue or rescue a job beside the new one. The check is made by the same statement that
/// writes, inside its snapshot, so there is no window between checking and writing.
/// </summary>
internal static class LeaseFence
{
    // pg_locks shows a bigint advisory key as classid (high 32 bits), objid (low 32 bits), objsubid 1.
    private const long KeyHigh = LeaderLock.Key >> 32;
    private const long KeyLow = LeaderLock.Key & 0xFFFFFFFF;

    /// <summary>A boolean SQL expression over the parameters <c>@lease_pid</c> and <c>@lease_start</c>.</summary>
    public static readonly string Predicate = $"""
        EXISTS (SELECT 1 FROM pg_catalog.pg_locks lk
                WHERE lk.locktype = 'advisory' AND lk.granted AND lk.pid = @lease_pid
                  AND lk.classid::bigint = {KeyHigh} AND lk.objid::bigint = {KeyLow} AND lk.objsubid = 1)
        AND EXISTS (SELECT 1 FROM pg_catalog.pg_stat_get_activity(@lease_pid) act WHERE act.backend_start = @lease_start)
        """;

    /// <summary>Adds the parameters <see cref="Predicate"/> reads, for <paramref name="lease"/>.</summary>
    public static void AddParameters(NpgsqlCommand command, Lease lease)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(lease);
        command.Parameters.Add(new NpgsqlParameter<int>("lease_pid", NpgsqlDbType.Integer) { TypedValue = lease.LeaderPid });
        command.Parameters.Add(new NpgsqlParameter<DateTime>("lease_start", NpgsqlDbType.TimestampTz) { TypedValue = lease.LeaderBackendStart });
    }
}

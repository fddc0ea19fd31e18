using Npgsql;

namespace QueueExporter.Scraper.Database;

/// <summary>
/// Counts the sessions of job runners on the current database: holders of the runner leader lock
/// (OCA 2025+ and ours), and sessions whose last statement was <c>LISTEN queue_job</c> (older
/// runners). A role that may not read other sessions' statements sees only the lock holders.
/// </summary>
public static class RunnerSessionsQuery
{
    /// <summary>The advisory lock key every runner takes per database.</summary>
    public const long LeaderLockKey = 2293787760715711918;

    /// <summary>Reads the count, and whether the role could see every session's statement.</summary>
    public static async Task<(int Sessions, bool AllVisible)> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(VisibilitySql, connection);
        command.Parameters.AddWithValue("classid", LeaderLockKey >> 32);
        command.Parameters.AddWithValue("objid", LeaderLockKey & 0xFFFF_FFFFL);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetBoolean(1));
    }

    // pg_locks shows a bigint advisory key as two 32-bit halves: classid the high, objid the low,
    // with objsubid 1 (a two-int4 key has objsubid 2). Other roles' statements read
    // '<insufficient privilege>' unless this role has pg_read_all_stats.
    private const string VisibilitySql = """
        WITH lock_holders AS (
            SELECT l.pid
            FROM pg_locks l
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = @classid::bigint::oid AND l.objid = @objid::bigint::oid
        ), others AS (
            SELECT a.pid, a.query
            FROM pg_stat_activity a
            WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
              AND a.application_name NOT LIKE 'queue-exporter-scrape%'
        )
        SELECT (SELECT count(*) FROM (
                    SELECT pid FROM lock_holders
                    UNION
                    SELECT pid FROM others WHERE query ILIKE 'listen queue_job%' OR query ILIKE 'listen "queue_job"%'
                ) s)::int AS sessions,
               NOT EXISTS (SELECT 1 FROM others WHERE query = '<insufficient privilege>') AS all_visible
        """;
}

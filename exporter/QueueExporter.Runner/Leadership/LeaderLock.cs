using Npgsql;

namespace QueueExporter.Runner.Leadership;

/// <summary>
/// The leader lock OCA's runner takes on each database connection. Using the very same key makes any
/// two runners, ours or OCA's, mutually exclusive on one database; the lock lives as long as the
/// connection (session-level), so a dead runner releases it when PostgreSQL drops its session.
/// </summary>
internal static class LeaderLock
{
    /// <summary>OCA's key (queue_job/jobrunner/runner.py).</summary>
    public const long Key = 2293787760715711918;

    // The pid and backend start name this session for LeaseFence; read in the same statement as the lock.
    private const string AcquireSql = """
        SELECT pg_try_advisory_lock(@key), pg_backend_pid(),
               (SELECT backend_start FROM pg_catalog.pg_stat_get_activity(pg_backend_pid()))
        """;

    private static long s_lastEpoch;

    /// <summary>Tries the lock without waiting; a new <see cref="Lease"/> when this session now holds it, else null.</summary>
    public static async Task<Lease?> TryAcquireAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(AcquireSql, connection);
        command.Parameters.AddWithValue("key", Key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || !reader.GetBoolean(0))
        {
            return null;
        }

        return new Lease(database, Interlocked.Increment(ref s_lastEpoch), reader.GetInt32(1), reader.GetDateTime(2));
    }
}

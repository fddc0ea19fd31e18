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

    private const string AcquireSql = "SELECT pg_try_advisory_lock(@key), pg_backend_pid()";

    // Session-level, never released before the session ends: it names this session for LeaseFence.
    private const string TokenSql = "SELECT pg_try_advisory_lock(@token)";

    // A random key is taken by someone else with odds of 2^-64 per lease; a few draws make a refusal plain impossible.
    private const int TokenDraws = 4;

    private static long s_lastEpoch;

    /// <summary>Tries the lock without waiting; a new <see cref="Lease"/> when this session now holds it, else null.</summary>
    public static async Task<Lease?> TryAcquireAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        int pid;
        await using (var command = new NpgsqlCommand(AcquireSql, connection))
        {
            command.Parameters.AddWithValue("key", Key);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken) || !reader.GetBoolean(0))
            {
                return null;
            }

            pid = reader.GetInt32(1);
        }

        for (var draw = 0; draw < TokenDraws; draw++)
        {
            var token = NewToken();
            await using var command = new NpgsqlCommand(TokenSql, connection);
            command.Parameters.AddWithValue("token", token);
            if (await command.ExecuteScalarAsync(cancellationToken) is true)
            {
                return new Lease(database, Interlocked.Increment(ref s_lastEpoch), pid, token);
            }
        }

        // The session holds the leader lock but cannot be named: it must not lead. Ending it releases the lock.
        throw new InvalidOperationException($"leader lock: {TokenDraws} random session keys were all held by other sessions");
    }

    /// <summary>
    /// A random advisory key that is neither the leader key nor the in-flight key (nor shares their low half, which
    /// pg_locks shows apart). Random, not secret: any session that may take advisory locks can read pg_locks, so a
    /// cryptographic generator would add nothing but OpenSSL's libcrypto to the process (3.4 MiB of RSS at rest,
    /// almost a tenth of the native runner's).
    /// </summary>
    internal static long NewToken()
    {
        while (true)
        {
            var token = Random.Shared.NextInt64(long.MinValue, long.MaxValue);
            var (_, low) = LeaseFence.Split(token);
            if (low != LeaseFence.KeyLow && low != LeaseFence.Split(LeaseFence.InFlightKey).Low)
            {
                return token;
            }
        }
    }
}

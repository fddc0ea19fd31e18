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

    private const string TriggerSql =
        "SELECT count(*) FROM information_schema.triggers WHERE trigger_name = 'queue_job_notify' AND event_object_table = 'queue_job'";

    /// <summary>Whether the queue_job_notify trigger is installed (OCA skips a database without it: nothing would wake the runner).</summary>
    public static async Task<bool> HasNotifyTriggerAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(TriggerSql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Tries the lock without waiting; true when this session now holds it.</summary>
    public static async Task<bool> TryAcquireAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        command.Parameters.AddWithValue("key", Key);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}

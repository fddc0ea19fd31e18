using Npgsql;
using NpgsqlTypes;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;

namespace QueueExporter.Runner.Rescue;

/// <summary>
/// Finds enqueued/started jobs whose worker is gone and puts them back to pending (a started job
/// uses up one retry), or fails them as <c>JobFoundDead</c> once their retries are exhausted
/// (max_retries 0 = never). With <c>queue_job_lock</c> (2025+) a job is dead when it was enqueued more
/// than the grace ago and its lock row is missing or not held (OCA's rule: a live worker holds the row
/// FOR UPDATE); the lock rows we take keep a worker from starting the job while we rescue it. Without
/// that table only the age of enqueued jobs can tell, and started jobs are never touched.
/// </summary>
internal static class DeadJobRescuer
{
    private const string CandidatesWithoutLockRowSql = """
        SELECT j.id FROM queue_job j
        WHERE j.state IN ('enqueued', 'started') AND j.date_enqueued < @cutoff
          AND NOT EXISTS (SELECT 1 FROM queue_job_lock l WHERE l.queue_job_id = j.id)
        """;

    private const string CandidatesWithFreeLockRowSql = """
        SELECT l.queue_job_id FROM queue_job_lock l JOIN queue_job j ON j.id = l.queue_job_id
        WHERE j.state IN ('enqueued', 'started') AND j.date_enqueued < @cutoff
        FOR NO KEY UPDATE OF l SKIP LOCKED
        """;

    // A run that died leaves its lock row behind, free. Kept, it would make the job's next live run look
    // dead too (a job is a candidate as soon as any of its rows is free), so the rescue removes the free
    // rows of the jobs it rescues; a row still held belongs to a live run and stays.
    private const string DeleteFreeLockRowsSql = """
        DELETE FROM queue_job_lock WHERE id IN (
            SELECT id FROM queue_job_lock WHERE queue_job_id = ANY(@ids) FOR UPDATE SKIP LOCKED)
        """;

    private const string CandidatesByAgeSql =
        "SELECT id FROM queue_job WHERE state = 'enqueued' AND date_enqueued < @cutoff FOR UPDATE SKIP LOCKED";

    /// <summary>Rescues what is dead now; returns each rescued uuid with the state it was given.</summary>
    public static async Task<List<(string Uuid, string NewState)>> RescueAsync(
        NpgsqlConnection connection, QueueJobSchema schema, DateTimeOffset now, TimeSpan grace, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = new List<int>();
        if (schema.HasLockTable)
        {
            ids.AddRange(await ReadIdsAsync(connection, transaction, CandidatesWithoutLockRowSql, now - grace, cancellationToken));
            ids.AddRange(await ReadIdsAsync(connection, transaction, CandidatesWithFreeLockRowSql, now - grace, cancellationToken));
        }
        else
        {
            ids.AddRange(await ReadIdsAsync(connection, transaction, CandidatesByAgeSql, now - timeout, cancellationToken));
        }

        var rescued = new List<(string, string)>();
        var rescuedIds = new List<int>();
        if (ids.Count > 0)
        {
            await using (var update = new NpgsqlCommand(UpdateSql(schema), connection, transaction))
            {
                update.Parameters.Add(new NpgsqlParameter<int[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. ids] });
                await using var reader = await update.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    rescued.Add((reader.GetString(0), reader.GetString(1)));
                    rescuedIds.Add(reader.GetInt32(2));
                }
            }

            if (schema.HasLockTable && rescuedIds.Count > 0)
            {
                await using var delete = new NpgsqlCommand(DeleteFreeLockRowsSql, connection, transaction);
                delete.Parameters.Add(new NpgsqlParameter<int[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. rescuedIds] });
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return rescued;
    }

    private static string UpdateSql(QueueJobSchema schema)
    {
        // Every SET expression sees the row as it was, so "started" and "retry" below are the old values.
        const string retryAfter = "COALESCE(retry, 0) + CASE WHEN state = 'started' THEN 1 ELSE 0 END";
        const string exhausted = "(COALESCE(max_retries, 0) > 0 AND " + retryAfter + " > max_retries)";
        var sets = new List<string>
        {
            $"state = CASE WHEN {exhausted} THEN 'failed' ELSE 'pending' END",
            $"retry = {retryAfter}",
            "date_enqueued = NULL",
            "date_started = NULL",
        };
        if (schema.HasColumn("exc_name"))
        {
            sets.Add($"exc_name = CASE WHEN {exhausted} THEN 'JobFoundDead' ELSE exc_name END");
        }

        if (schema.HasColumn("exc_message"))
        {
            sets.Add($"exc_message = CASE WHEN {exhausted} THEN 'Job found dead after ' || {retryAfter} || ' tries' ELSE exc_message END");
        }

        if (schema.HasColumn("exc_info"))
        {
            sets.Add($"exc_info = CASE WHEN {exhausted} THEN 'Job found dead: its worker stopped without finishing it' ELSE exc_info END");
        }

        return "UPDATE queue_job SET " + string.Join(", ", sets)
            + " WHERE id = ANY(@ids) AND state IN ('enqueued', 'started') RETURNING uuid, state, id";
    }

    private static async Task<List<int>> ReadIdsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<DateTime>("cutoff", NpgsqlDbType.Timestamp) { TypedValue = DbTime.ToDb(cutoff) });
        var ids = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetInt32(0));
        }

        return ids;
    }
}

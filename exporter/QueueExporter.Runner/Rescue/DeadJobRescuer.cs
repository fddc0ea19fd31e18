using Npgsql;
using NpgsqlTypes;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;
using QueueExporter.Runner.Leadership;

namespace QueueExporter.Runner.Rescue;

/// <summary>
/// Finds enqueued/started jobs whose worker is gone and puts them back to pending (a started job
/// uses up one retry), or fails them as <c>JobFoundDead</c> once their retries are exhausted
/// (max_retries 0 = never). One instance per database: it remembers what earlier passes saw.
/// <para>
/// With <c>queue_job_lock</c> (2025+) a job is dead when it was enqueued more than the grace ago and
/// every lock row of it is missing or free (OCA's rule: a live worker holds its row). Unlike OCA, a job
/// is requeued only once <see cref="DeadJobSuspicions"/> has seen it dead, unchanged, for a whole grace:
/// a worker cut from PostgreSQL cancels its handler within that time, so a live run never overlaps the
/// next one. Each pass runs in one transaction that locks its candidates (<c>FOR UPDATE OF j SKIP
/// LOCKED</c>: a worker starting one of them makes us skip it, and one we hold cannot be started under
/// us) and their free lock rows (<c>SKIP LOCKED</c>: a row a live session holds is never touched), and
/// writes only rows whose state and dates are still those read. Batches are bounded by <c>LIMIT</c>:
/// a pass looks at the oldest candidates, the next pass at what remains.
/// </para>
/// Without that table only the age of enqueued jobs can tell (the worker takes the job's row lock to
/// start it, so a locked row is skipped); started jobs are never touched.
/// </summary>
internal sealed class DeadJobRescuer
{
    /// <summary>Candidates one pass looks at: bounds its transaction and the tracker's memory (river's rescuer batches the same way).</summary>
    public const int DefaultBatchLimit = 1000;

    // The pass's own transaction id, as the 32-bit xid PostgreSQL writes into xmax of the rows it locks.
    private const string CandidatesSql = """
        SELECT j.id, j.state, j.date_enqueued, j.date_started,
               ARRAY(SELECT l.id FROM queue_job_lock l WHERE l.queue_job_id = j.id ORDER BY l.id) AS lock_ids,
               txid_current() % 4294967296 AS pass
        FROM queue_job j
        WHERE j.state IN ('enqueued', 'started') AND j.date_enqueued < @cutoff
        ORDER BY j.id
        LIMIT @limit
        FOR UPDATE OF j SKIP LOCKED
        """;

    // xmax is read before this statement locks the row: it names whoever locked it last.
    private const string LockFreeRowsSql = """
        SELECT l.id, l.queue_job_id, l.xmax::text::bigint
        FROM queue_job_lock l
        WHERE l.queue_job_id = ANY(@ids)
        FOR UPDATE SKIP LOCKED
        """;

    private const string CandidatesByAgeSql = """
        SELECT j.id, j.state, j.date_enqueued, j.date_started
        FROM queue_job j
        WHERE j.state = 'enqueued' AND j.date_enqueued < @cutoff
        ORDER BY j.id
        LIMIT @limit
        FOR UPDATE OF j SKIP LOCKED
        """;

    // A run that died leaves its lock row behind, free; kept, it would make the job's next run look dead.
    // This pass holds the free rows of its candidates already; a row held by a live session is skipped.
    private const string DeleteFreeLockRowsSql = """
        DELETE FROM queue_job_lock WHERE id IN (
            SELECT id FROM queue_job_lock WHERE queue_job_id = ANY(@ids) FOR UPDATE SKIP LOCKED)
        """;

    private readonly TimeProvider _time;
    private readonly TimeSpan _grace;
    private readonly TimeSpan _timeout;
    private readonly int _batchLimit;
    private readonly DeadJobSuspicions _suspicions;

    /// <param name="time">The clock of the grace.</param>
    /// <param name="grace">With queue_job_lock: how long after dispatch a job may be considered, and how long it must then be seen dead.</param>
    /// <param name="timeout">Without queue_job_lock: how long a job may stay enqueued.</param>
    /// <param name="batchLimit">Candidates looked at per pass at most.</param>
    public DeadJobRescuer(TimeProvider time, TimeSpan grace, TimeSpan timeout, int batchLimit)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchLimit, 1);
        _time = time;
        _grace = grace;
        _timeout = timeout;
        _batchLimit = batchLimit;
        _suspicions = new DeadJobSuspicions(time, grace, batchLimit);
    }

    /// <summary>
    /// One pass: rescues what has been dead for the grace; returns each rescued uuid with its new state.
    /// With a <paramref name="lease"/>, the writes are fenced by it: a deposed leader rescues nothing.
    /// </summary>
    public async Task<IReadOnlyList<RescuedJob>> RescueAsync(NpgsqlConnection connection, QueueJobSchema schema, Lease? lease, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(schema);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var now = _time.GetUtcNow();
        List<Candidate> due;
        if (schema.HasLockTable)
        {
            var (pass, sightings) = await SightAsync(connection, transaction, now - _grace, ct);
            var dueIds = _suspicions.Observe(pass, [.. sightings.Select(s => s.Sighting)]).ToHashSet();
            due = [.. sightings.Where(s => dueIds.Contains(s.Sighting.JobId)).Select(s => s.Candidate)];
        }
        else
        {
            due = await ReadCandidatesAsync(connection, transaction, CandidatesByAgeSql, now - _timeout, ct);
        }

        var rescued = new List<RescuedJob>();
        if (due.Count > 0)
        {
            var rescuedIds = new List<int>();
            if (lease is not null)
            {
                // A fenced write: a new leader waits for it before reading (see LeaseFence).
                await using var barrier = new NpgsqlCommand(LeaseFence.Barrier, connection, transaction);
                await barrier.ExecuteNonQueryAsync(ct);
            }

            await using (var update = new NpgsqlCommand(UpdateSql(schema, lease is not null), connection, transaction))
            {
                update.Parameters.Add(new NpgsqlParameter<int[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. due.Select(c => c.Id)] });
                update.Parameters.Add(new NpgsqlParameter<string[]>("states", NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. due.Select(c => c.State)] });
                update.Parameters.Add(new NpgsqlParameter<DateTime?[]>("enqueued", NpgsqlDbType.Array | NpgsqlDbType.Timestamp) { TypedValue = [.. due.Select(c => c.DateEnqueued)] });
                update.Parameters.Add(new NpgsqlParameter<DateTime?[]>("started", NpgsqlDbType.Array | NpgsqlDbType.Timestamp) { TypedValue = [.. due.Select(c => c.DateStarted)] });
                if (lease is not null)
                {
                    LeaseFence.AddParameters(update.Parameters, lease);
                }

                await using var reader = await update.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    rescued.Add(new RescuedJob(reader.GetString(0), reader.GetString(1)));
                    rescuedIds.Add(reader.GetInt32(2));
                }
            }

            if (schema.HasLockTable && rescuedIds.Count > 0)
            {
                await using var delete = new NpgsqlCommand(DeleteFreeLockRowsSql, connection, transaction);
                delete.Parameters.Add(new NpgsqlParameter<int[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. rescuedIds] });
                await delete.ExecuteNonQueryAsync(ct);
            }
        }

        await transaction.CommitAsync(ct);
        return rescued;
    }

    private async Task<(long Pass, List<(DeadJobSighting Sighting, Candidate Candidate)> Sightings)> SightAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset cutoff, CancellationToken ct)
    {
        var candidates = new List<(Candidate Candidate, int[] LockIds)>();
        long pass = 0;
        await using (var command = new NpgsqlCommand(CandidatesSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<DateTime>("cutoff", NpgsqlDbType.Timestamp) { TypedValue = DbTime.ToDb(cutoff) });
            command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = _batchLimit });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                candidates.Add((ReadCandidate(reader), reader.GetFieldValue<int[]>(4)));
                pass = reader.GetInt64(5);
            }
        }

        if (candidates.Count == 0)
        {
            return (pass, []);
        }

        // The free rows, now locked by this pass; a row missing here is held by a live session.
        var free = new Dictionary<int, List<LockRowSighting>>();
        await using (var command = new NpgsqlCommand(LockFreeRowsSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<int[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. candidates.Select(c => c.Candidate.Id)] });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var jobId = reader.GetInt32(1);
                if (!free.TryGetValue(jobId, out var rows))
                {
                    free[jobId] = rows = [];
                }

                rows.Add(new LockRowSighting(reader.GetInt32(0), reader.GetInt64(2)));
            }
        }

        var sightings = new List<(DeadJobSighting, Candidate)>();
        foreach (var (candidate, lockIds) in candidates)
        {
            var rows = free.GetValueOrDefault(candidate.Id) ?? [];
            // Every row the job has (as read under its job row lock: no start can add one now) is free.
            if (lockIds.All(id => rows.Exists(r => r.Id == id)))
            {
                sightings.Add((new DeadJobSighting(candidate.Id, candidate.State, candidate.DateEnqueued, candidate.DateStarted, [.. rows.OrderBy(r => r.Id)]), candidate));
            }
        }

        return (pass, sightings);
    }

    private async Task<List<Candidate>> ReadCandidatesAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<DateTime>("cutoff", NpgsqlDbType.Timestamp) { TypedValue = DbTime.ToDb(cutoff) });
        command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = _batchLimit });
        var candidates = new List<Candidate>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            candidates.Add(ReadCandidate(reader));
        }

        return candidates;
    }

    private static Candidate ReadCandidate(NpgsqlDataReader reader) => new(
        reader.GetInt32(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetDateTime(2),
        reader.IsDBNull(3) ? null : reader.GetDateTime(3));

    private static string UpdateSql(QueueJobSchema schema, bool fenced)
    {
        // Every SET expression sees the row as it was, so "started" and "retry" below are the old values.
        const string retryAfter = "COALESCE(j.retry, 0) + CASE WHEN j.state = 'started' THEN 1 ELSE 0 END";
        const string exhausted = "(COALESCE(j.max_retries, 0) > 0 AND " + retryAfter + " > j.max_retries)";
        var sets = new List<string>
        {
            $"state = CASE WHEN {exhausted} THEN 'failed' ELSE 'pending' END",
            $"retry = {retryAfter}",
            "date_enqueued = NULL",
            "date_started = NULL",
        };
        if (schema.HasColumn("exc_name"))
        {
            sets.Add($"exc_name = CASE WHEN {exhausted} THEN 'JobFoundDead' ELSE j.exc_name END");
        }

        if (schema.HasColumn("exc_message"))
        {
            sets.Add($"exc_message = CASE WHEN {exhausted} THEN 'Job found dead after ' || {retryAfter} || ' tries' ELSE j.exc_message END");
        }

        if (schema.HasColumn("exc_info"))
        {
            sets.Add($"exc_info = CASE WHEN {exhausted} THEN 'Job found dead: its worker stopped without finishing it' ELSE j.exc_info END");
        }

        // Only rows still as read: the same state and dates (so not started, finished or requeued since).
        return "UPDATE queue_job j SET " + string.Join(", ", sets)
            + " FROM unnest(@ids, @states, @enqueued, @started) AS c(id, state, date_enqueued, date_started)"
            + " WHERE j.id = c.id AND j.state = c.state"
            + " AND j.date_enqueued IS NOT DISTINCT FROM c.date_enqueued AND j.date_started IS NOT DISTINCT FROM c.date_started"
            + (fenced ? " AND " + LeaseFence.Predicate : "")
            + " RETURNING j.uuid, j.state, j.id";
    }

    private sealed record Candidate(int Id, string State, DateTime? DateEnqueued, DateTime? DateStarted);
}

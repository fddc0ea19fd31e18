using Dapper;
using Npgsql;
using QueueExporter.QueueJob.Schema;
using QueueExporter.QueueJob.Time;
using QueueExporter.Worker.Execution;

namespace QueueExporter.Worker.Storage;

/// <summary>
/// Every statement the worker runs on queue_job, for one database and its detected schema. Columns a
/// generation lacks (worker_pid, exc_name, exec_time, dependencies, queue_job_lock) are left out of
/// the statements rather than failing them.
/// <para>
/// A run is named by the date_started it wrote (and its worker_pid where the column exists). Every
/// write after the start is guarded by that name and by <c>state = 'started'</c>: a run whose job was
/// rescued and started again elsewhere matches nothing, so it can neither overwrite the newer run's
/// row nor release dependents early. Normal path: four round trips (start; hold and verify; the
/// finish batch; commit).
/// </para>
/// </summary>
internal sealed class WorkerJobStore(QueueJobSchema schema)
{
    private const string LabelsSql = """
        SELECT COALESCE(channel, 'root') AS Channel, COALESCE(model_name, '') || '.' || COALESCE(method_name, '') AS Function, state AS State
        FROM queue_job WHERE uuid = @uuid LIMIT 1
        """;

    // Children are locked (in id order, so concurrent parents cannot deadlock) before their parents
    // are checked: when two parents finish at once, the second waits for the first to commit and its
    // check (the next statement of the batch, so a new snapshot) then sees both done.
    private const string LockChildrenSql = """
        SELECT count(*) AS locked FROM (SELECT c.id FROM queue_job c
        WHERE c.uuid IN (SELECT jsonb_array_elements_text(NULLIF(p.dependencies::text, '')::jsonb -> 'reverse_depends_on') FROM queue_job p WHERE p.id = @id)
          AND c.state = 'wait_dependencies'
        ORDER BY c.id FOR UPDATE) children
        """;

    private const string ReleaseChildrenSql = """
        UPDATE queue_job c SET state = 'pending'
        WHERE c.uuid IN (SELECT jsonb_array_elements_text(NULLIF(p.dependencies::text, '')::jsonb -> 'reverse_depends_on') FROM queue_job p WHERE p.id = @id)
          AND c.state = 'wait_dependencies'
          AND NOT EXISTS (
              SELECT 1 FROM queue_job p
              WHERE p.uuid IN (SELECT jsonb_array_elements_text(NULLIF(c.dependencies::text, '')::jsonb -> 'depends_on'))
                AND p.state <> 'done')
        RETURNING c.uuid
        """;

    private readonly string _startSql = StartSql(schema);
    private readonly string _holdSql = schema.HasLockTable
        ? "SELECT j.state, j.date_started" + (schema.HasColumn("worker_pid") ? ", j.worker_pid" : ", NULL::int4")
          + " FROM queue_job_lock l JOIN queue_job j ON j.id = l.queue_job_id WHERE l.id = @lockId FOR NO KEY UPDATE OF l"
        : "SELECT state, date_started" + (schema.HasColumn("worker_pid") ? ", worker_pid" : ", NULL::int4") + " FROM queue_job WHERE id = @id";

    public QueueJobSchema Schema => schema;

    /// <summary>
    /// Takes the job if it is still enqueued, in ONE autocommit statement: marks it started (date_started,
    /// worker_pid), removes free lock rows of earlier runs and inserts this run's lock row, so everyone
    /// sees it started at once. Null when the job is not enqueued.
    /// </summary>
    public async Task<StartedJob?> TryStartAsync(NpgsqlConnection connection, string uuid, DateTimeOffset now, int workerPid, CancellationToken cancellationToken)
    {
        // PostgreSQL keeps microseconds: the guard of every later write compares with this exact value.
        now = now.AddTicks(-(now.Ticks % 10));
        var row = await connection.QuerySingleOrDefaultAsync<StartRow>(new CommandDefinition(_startSql, new { uuid, now = DbTime.ToDb(now), workerPid }, cancellationToken: cancellationToken));
        return row is null
            ? null
            : new StartedJob(row.Id, row.Uuid, row.ModelName + "." + row.MethodName, row.Channel, row.ArgsJson ?? "[]", row.KwargsJson ?? "{}", row.Retry, row.MaxRetries,
                now, schema.HasColumn("worker_pid") ? workerPid : null, row.LockId);
    }

    /// <summary>Channel, function and state of a job that was not taken (no lock, for labels only).</summary>
    public static async Task<JobLabels> ReadLabelsAsync(NpgsqlConnection connection, string uuid, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<JobLabels>(new CommandDefinition(LabelsSql, new { uuid }, cancellationToken: cancellationToken)) ?? JobLabels.Missing;

    /// <summary>
    /// Locks the job's queue_job_lock row for the life of <paramref name="transaction"/> (a runner's
    /// <c>SKIP LOCKED</c> probe then skips it and knows the job is alive) and proves the run still owns
    /// the job: the row exists (a rescue that found it free may have deleted it) and the job is still
    /// started with this run's date_started and worker_pid.
    /// </summary>
    /// <returns>False when the run cannot prove it holds its row: it must not run the handler.</returns>
    public async Task<bool> HoldAsync(NpgsqlTransaction transaction, StartedJob job, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var row = await connection.QuerySingleOrDefaultAsync<(string State, DateTime? DateStarted, int? WorkerPid)?>(
            new CommandDefinition(_holdSql, new { lockId = job.LockId, id = job.Id }, transaction, cancellationToken: cancellationToken));
        return row is { } r && r.State == JobStates.Started && r.DateStarted == DbTime.ToDb(job.DateStarted) && r.WorkerPid == job.WorkerPid;
    }

    /// <summary>
    /// Writes the outcome, removes the lock row and, for a done job with dependents, releases them: one
    /// batch. The outcome is written only if the job is still this run's.
    /// </summary>
    /// <returns>The uuids released to pending, or null when the job is not this run's any more (roll back).</returns>
    public async Task<IReadOnlyList<string>?> FinishAsync(NpgsqlTransaction transaction, StartedJob job, JobOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (set, parameters) = outcome switch
        {
            JobOutcome.Done done => DoneChanges(job, done, now),
            JobOutcome.Retry retry => RetryChanges(job, retry),
            JobOutcome.Failed failed => FailedChanges(job, failed),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "unknown outcome"),
        };
        // Sent with every done job that may have dependents: the batch costs no round trip more, and
        // the statements find nothing at once for a job whose graph names none.
        var release = outcome is JobOutcome.Done && schema.HasColumn("dependencies");
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
        batch.BatchCommands.Add(Command($"UPDATE queue_job SET {set} WHERE {OwnRunGuard}", parameters, job));
        AddDeleteLock(batch, job);
        if (release)
        {
            batch.BatchCommands.Add(Command(LockChildrenSql, [], job));
            batch.BatchCommands.Add(Command(ReleaseChildrenSql, [], job));
        }

        var released = new List<string>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                // Only the release's RETURNING names its column uuid.
                if (reader.FieldCount == 1 && reader.GetName(0) == "uuid")
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        released.Add(reader.GetString(0));
                    }
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        return batch.BatchCommands[0].RecordsAffected == 1 ? released : null;
    }

    /// <summary>Puts a job interrupted by shutdown back to pending, its attempt not counted, if it is still this run's.</summary>
    /// <returns>False when the job is not this run's any more (roll back).</returns>
    public async Task<bool> RequeueAsync(NpgsqlTransaction transaction, StartedJob job, CancellationToken cancellationToken)
    {
        var set = "state = 'pending', date_enqueued = NULL, date_started = NULL" + (schema.HasColumn("worker_pid") ? ", worker_pid = NULL" : "");
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction);
        batch.BatchCommands.Add(Command($"UPDATE queue_job SET {set} WHERE {OwnRunGuard}", [], job));
        AddDeleteLock(batch, job);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return batch.BatchCommands[0].RecordsAffected == 1;
    }

    private string OwnRunGuard => "id = @id AND state = 'started' AND date_started = @started" + (schema.HasColumn("worker_pid") ? " AND worker_pid = @workerPid" : "");

    private static string StartSql(QueueJobSchema schema)
    {
        var set = "state = 'started', date_started = @now" + (schema.HasColumn("worker_pid") ? ", worker_pid = @workerPid" : "");
        // As Odoo's controller: only a job still enqueued is taken, and its row lock makes two requests for
        // the same job run it once (the second waits, then sees it started and takes nothing).
        var sql = $"""
            WITH job AS (
                SELECT id, uuid, COALESCE(model_name, '') AS model_name, COALESCE(method_name, '') AS method_name,
                       COALESCE(channel, 'root') AS channel, args::text AS args_json, kwargs::text AS kwargs_json,
                       COALESCE(retry, 0) AS retry, COALESCE(max_retries, 5) AS max_retries
                FROM queue_job WHERE uuid = @uuid AND state = 'enqueued'
                LIMIT 1 FOR UPDATE
            ), started AS (
                UPDATE queue_job q SET {set} FROM job WHERE q.id = job.id RETURNING q.id
            )
            """;
        if (schema.HasLockTable)
        {
            // A free row left by a run that died would make this live run look dead to a runner's probe:
            // removed in the statement that adds ours (which it cannot see: same snapshot). A row some live
            // session holds is skipped, never deleted.
            sql += """
                , stale AS (
                    DELETE FROM queue_job_lock WHERE id IN (
                        SELECT l.id FROM queue_job_lock l WHERE l.queue_job_id IN (SELECT id FROM job) FOR UPDATE SKIP LOCKED)
                ), lock_row AS (
                    INSERT INTO queue_job_lock (queue_job_id) SELECT id FROM started RETURNING id
                )
                """;
        }

        var lockId = schema.HasLockTable ? "(SELECT id FROM lock_row)" : "NULL::int4";
        return sql + $"""

            SELECT job.id AS Id, job.uuid AS Uuid, job.model_name AS ModelName, job.method_name AS MethodName, job.channel AS Channel,
                   job.args_json AS ArgsJson, job.kwargs_json AS KwargsJson, job.retry AS Retry, job.max_retries AS MaxRetries,
                   {lockId} AS LockId
            FROM job JOIN started ON started.id = job.id
            """;
    }

    private static NpgsqlBatchCommand Command(string sql, IEnumerable<(string Name, object? Value)> parameters, StartedJob job)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddWithValue("id", job.Id);
        if (sql.Contains("@started", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("started", DbTime.ToDb(job.DateStarted));
        }

        if (sql.Contains("@workerPid", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("workerPid", (object?)job.WorkerPid ?? DBNull.Value);
        }

        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static void AddDeleteLock(NpgsqlBatch batch, StartedJob job)
    {
        // A retried job gets a new lock row on its next run; an old free one left behind would make the
        // running job look dead to a runner's probe.
        if (job.LockId is { } lockId)
        {
            var delete = new NpgsqlBatchCommand("DELETE FROM queue_job_lock WHERE id = @lockId");
            delete.Parameters.AddWithValue("lockId", lockId);
            batch.BatchCommands.Add(delete);
        }
    }

    private (string Set, List<(string, object?)> Parameters) DoneChanges(StartedJob job, JobOutcome.Done done, DateTimeOffset now)
    {
        List<(string, object?)> parameters = [("retry", job.Attempt), ("now", DbTime.ToDb(now)), ("result", done.Result)];
        var set = "state = 'done', date_done = @now, retry = @retry, result = @result, exc_info = NULL"
            + (schema.HasColumn("exec_time") ? ", exec_time = @execTime" : "")
            + (schema.HasColumn("exc_name") ? ", exc_name = NULL" : "")
            + (schema.HasColumn("exc_message") ? ", exc_message = NULL" : "");
        if (schema.HasColumn("exec_time"))
        {
            parameters.Add(("execTime", Math.Max(0, (now - job.DateStarted).TotalSeconds)));
        }

        return (set, parameters);
    }

    private (string Set, List<(string, object?)> Parameters) RetryChanges(StartedJob job, JobOutcome.Retry retry)
    {
        List<(string, object?)> parameters = [("retry", job.Attempt), ("eta", DbTime.ToDb(retry.Eta)), ("result", retry.Message)];
        var set = "state = 'pending', eta = @eta, retry = @retry, result = @result, date_enqueued = NULL, date_started = NULL"
            + (schema.HasColumn("worker_pid") ? ", worker_pid = NULL" : "");
        return (set, parameters);
    }

    private (string Set, List<(string, object?)> Parameters) FailedChanges(StartedJob job, JobOutcome.Failed failed)
    {
        List<(string, object?)> parameters = [("retry", job.Attempt), ("info", failed.ExceptionInfo)];
        var set = "state = 'failed', retry = @retry, exc_info = @info"
            + (schema.HasColumn("exc_name") ? ", exc_name = @name" : "")
            + (schema.HasColumn("exc_message") ? ", exc_message = @message" : "");
        if (schema.HasColumn("exc_name"))
        {
            parameters.Add(("name", failed.ExceptionName));
        }

        if (schema.HasColumn("exc_message"))
        {
            parameters.Add(("message", failed.ExceptionMessage));
        }

        return (set, parameters);
    }

    private sealed record StartRow(int Id, string Uuid, string ModelName, string MethodName, string Channel, string? ArgsJson, string? KwargsJson, int Retry, int MaxRetries, int? LockId);
}

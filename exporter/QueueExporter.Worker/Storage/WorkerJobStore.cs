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
/// </summary>
internal sealed class WorkerJobStore(QueueJobSchema schema)
{
    // As Odoo's controller: only a job still enqueued is taken, and the row lock makes two requests
    // for the same job run it once (the second sees state started once the first commits).
    private const string LockEnqueuedSql = """
        SELECT id AS Id, uuid AS Uuid, COALESCE(model_name, '') AS ModelName, COALESCE(method_name, '') AS MethodName,
               COALESCE(channel, 'root') AS Channel, args::text AS ArgsJson, kwargs::text AS KwargsJson,
               COALESCE(retry, 0) AS Retry, COALESCE(max_retries, 5) AS MaxRetries
        FROM queue_job WHERE uuid = @uuid AND state = 'enqueued'
        LIMIT 1 FOR UPDATE
        """;

    private const string LabelsSql = """
        SELECT COALESCE(channel, 'root') AS Channel, COALESCE(model_name, '') || '.' || COALESCE(method_name, '') AS Function, state AS State
        FROM queue_job WHERE uuid = @uuid LIMIT 1
        """;

    private const string InsertLockSql = "INSERT INTO queue_job_lock (queue_job_id) VALUES (@id) RETURNING id";
    private const string HoldLockSql = "SELECT id FROM queue_job_lock WHERE id = @lockId FOR NO KEY UPDATE";
    private const string DeleteLockSql = "DELETE FROM queue_job_lock WHERE id = @lockId";
    private const string DeleteFreeLockRowsSql = """
        DELETE FROM queue_job_lock WHERE id IN (
            SELECT id FROM queue_job_lock WHERE queue_job_id = @id FOR UPDATE SKIP LOCKED)
        """;

    // Children are locked (in id order, so concurrent parents cannot deadlock) before their parents
    // are checked: when two parents finish at once, the second waits for the first to commit and its
    // check (a new statement, so a new snapshot) then sees both done.
    private const string LockChildrenSql = """
        SELECT c.id FROM queue_job c
        WHERE c.uuid IN (SELECT jsonb_array_elements_text(NULLIF(p.dependencies::text, '')::jsonb -> 'reverse_depends_on') FROM queue_job p WHERE p.id = @id)
          AND c.state = 'wait_dependencies'
        ORDER BY c.id FOR UPDATE
        """;

    private const string ReleaseChildrenSql = """
        UPDATE queue_job c SET state = 'pending'
        WHERE c.id = ANY(@ids) AND c.state = 'wait_dependencies'
          AND NOT EXISTS (
              SELECT 1 FROM queue_job p
              WHERE p.uuid IN (SELECT jsonb_array_elements_text(NULLIF(c.dependencies::text, '')::jsonb -> 'depends_on'))
                AND p.state <> 'done')
        RETURNING c.uuid
        """;

    public QueueJobSchema Schema => schema;

    /// <summary>
    /// Takes the job if it is still enqueued: marks it started (and adds its queue_job_lock row) and
    /// commits, so runners and people see it started. Null when the job is not enqueued.
    /// </summary>
    public async Task<StartedJob?> TryStartAsync(NpgsqlConnection connection, string uuid, DateTimeOffset now, int workerPid, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<EnqueuedRow>(new CommandDefinition(LockEnqueuedSql, new { uuid }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            return null;
        }

        var set = "state = 'started', date_started = @now" + (schema.HasColumn("worker_pid") ? ", worker_pid = @workerPid" : "");
        await connection.ExecuteAsync(new CommandDefinition($"UPDATE queue_job SET {set} WHERE id = @id", new { id = row.Id, now = DbTime.ToDb(now), workerPid }, transaction, cancellationToken: cancellationToken));
        int? lockId = null;
        if (schema.HasLockTable)
        {
            // A free row left by a run that died (or by a runner that requeued it without cleaning up)
            // would make this live run look dead to a runner's probe: remove it before taking our own.
            await connection.ExecuteAsync(new CommandDefinition(DeleteFreeLockRowsSql, new { id = row.Id }, transaction, cancellationToken: cancellationToken));
            lockId = await connection.ExecuteScalarAsync<int>(new CommandDefinition(InsertLockSql, new { id = row.Id }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return new StartedJob(row.Id, row.Uuid, row.ModelName + "." + row.MethodName, row.Channel, row.ArgsJson ?? "[]", row.KwargsJson ?? "{}", row.Retry, row.MaxRetries, now, lockId);
    }

    /// <summary>Channel, function and state of a job that was not taken (no lock, for labels only).</summary>
    public static async Task<JobLabels> ReadLabelsAsync(NpgsqlConnection connection, string uuid, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<JobLabels>(new CommandDefinition(LabelsSql, new { uuid }, cancellationToken: cancellationToken)) ?? JobLabels.Missing;

    /// <summary>
    /// Locks the job's queue_job_lock row for the life of <paramref name="transaction"/>: while it is
    /// held, a runner's <c>SKIP LOCKED</c> probe skips the row and knows the job is alive.
    /// </summary>
    public static async Task HoldLockAsync(NpgsqlTransaction transaction, StartedJob job, CancellationToken cancellationToken)
    {
        if (job.LockId is { } lockId)
        {
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(HoldLockSql, new { lockId }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>Writes the outcome, removes the lock row and, for a done job, releases its dependents.</summary>
    /// <returns>The uuids of the jobs released to pending.</returns>
    public async Task<IReadOnlyList<string>> FinishAsync(NpgsqlTransaction transaction, StartedJob job, JobOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var (set, parameters) = outcome switch
        {
            JobOutcome.Done done => DoneChanges(job, done, now),
            JobOutcome.Retry retry => RetryChanges(job, retry),
            JobOutcome.Failed failed => FailedChanges(job, failed),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "unknown outcome"),
        };
        parameters.Add("id", job.Id);
        var mayHaveDependents = outcome is JobOutcome.Done && schema.HasColumn("dependencies");
        var returning = mayHaveDependents ? " RETURNING dependencies::text" : "";
        var dependencies = await connection.ExecuteScalarAsync<string?>(new CommandDefinition($"UPDATE queue_job SET {set} WHERE id = @id{returning}", parameters, transaction, cancellationToken: cancellationToken));
        await DeleteLockAsync(transaction, job, cancellationToken);
        // Most jobs have no dependents: looking for them only when the graph names some saves a statement
        // per job inside the transaction that holds the row lock.
        return mayHaveDependents && DependencyGraph.MayHaveDependents(dependencies)
            ? await ReleaseDependentsAsync(transaction, job, cancellationToken)
            : [];
    }

    /// <summary>Puts a job interrupted by shutdown back to pending, its attempt not counted.</summary>
    public async Task RequeueAsync(NpgsqlTransaction transaction, StartedJob job, CancellationToken cancellationToken)
    {
        var set = "state = 'pending', date_enqueued = NULL, date_started = NULL" + (schema.HasColumn("worker_pid") ? ", worker_pid = NULL" : "");
        await transaction.Connection!.ExecuteAsync(new CommandDefinition($"UPDATE queue_job SET {set} WHERE id = @id", new { id = job.Id }, transaction, cancellationToken: cancellationToken));
        await DeleteLockAsync(transaction, job, cancellationToken);
    }

    private (string Set, DynamicParameters Parameters) DoneChanges(StartedJob job, JobOutcome.Done done, DateTimeOffset now)
    {
        var parameters = new DynamicParameters(new { retry = job.Attempt, now = DbTime.ToDb(now), result = done.Result, execTime = Math.Max(0, (now - job.DateStarted).TotalSeconds) });
        var set = "state = 'done', date_done = @now, retry = @retry, result = @result, exc_info = NULL"
            + (schema.HasColumn("exec_time") ? ", exec_time = @execTime" : "")
            + (schema.HasColumn("exc_name") ? ", exc_name = NULL" : "")
            + (schema.HasColumn("exc_message") ? ", exc_message = NULL" : "");
        return (set, parameters);
    }

    private (string Set, DynamicParameters Parameters) RetryChanges(StartedJob job, JobOutcome.Retry retry)
    {
        var parameters = new DynamicParameters(new { retry = job.Attempt, eta = DbTime.ToDb(retry.Eta), result = retry.Message });
        var set = "state = 'pending', eta = @eta, retry = @retry, result = @result, date_enqueued = NULL, date_started = NULL"
            + (schema.HasColumn("worker_pid") ? ", worker_pid = NULL" : "");
        return (set, parameters);
    }

    private (string Set, DynamicParameters Parameters) FailedChanges(StartedJob job, JobOutcome.Failed failed)
    {
        var parameters = new DynamicParameters(new { retry = job.Attempt, name = failed.ExceptionName, message = failed.ExceptionMessage, info = failed.ExceptionInfo });
        var set = "state = 'failed', retry = @retry, exc_info = @info"
            + (schema.HasColumn("exc_name") ? ", exc_name = @name" : "")
            + (schema.HasColumn("exc_message") ? ", exc_message = @message" : "");
        return (set, parameters);
    }

    private static async Task DeleteLockAsync(NpgsqlTransaction transaction, StartedJob job, CancellationToken cancellationToken)
    {
        // A retried job gets a new lock row on its next run; an old unlocked one left behind would
        // make the running job look dead to a runner's probe.
        if (job.LockId is { } lockId)
        {
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(DeleteLockSql, new { lockId }, transaction, cancellationToken: cancellationToken));
        }
    }

    private static async Task<IReadOnlyList<string>> ReleaseDependentsAsync(NpgsqlTransaction transaction, StartedJob job, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        var ids = (await connection.QueryAsync<int>(new CommandDefinition(LockChildrenSql, new { id = job.Id }, transaction, cancellationToken: cancellationToken))).ToArray();
        if (ids.Length == 0)
        {
            return [];
        }

        return [.. await connection.QueryAsync<string>(new CommandDefinition(ReleaseChildrenSql, new { ids }, transaction, cancellationToken: cancellationToken))];
    }

    private sealed record EnqueuedRow(int Id, string Uuid, string ModelName, string MethodName, string Channel, string? ArgsJson, string? KwargsJson, int Retry, int MaxRetries);
}

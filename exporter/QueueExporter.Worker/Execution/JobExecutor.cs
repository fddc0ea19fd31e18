using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.Worker.Handlers;
using QueueExporter.Worker.Storage;

namespace QueueExporter.Worker.Execution;

/// <summary>
/// Runs one job as Odoo's <c>/queue_job/runjob</c> controller does, promising at most one live run per
/// job. On one connection: one autocommit statement takes the job (started, date_started, worker_pid,
/// its queue_job_lock row), so everyone sees it started; then a transaction locks that row and verifies
/// the job is still this run's, for as long as the handler runs (a runner probing with SKIP LOCKED sees
/// a live job; if this process dies the lock goes with its connection and the job is found dead).
/// A <see cref="LockSessionWatch"/> cancels the handler when that session dies, before a runner may
/// requeue the job; such a run, or one whose guarded finish matches nothing, writes nothing and is
/// counted as lost. At most <see cref="WorkerOptions.MaxConcurrentJobs"/> requests run at once; more are
/// refused at once (503) rather than left waiting for a pooled connection.
/// </summary>
internal sealed class JobExecutor
{
    private static readonly int WorkerPid = Environment.ProcessId;

    private readonly WorkerDatabases _databases;
    private readonly JobHandlerRegistry _handlers;
    private readonly JobOutcomeDecider _decider;
    private readonly WorkerMetrics _metrics;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<JobExecutor> _logger;
    private readonly SemaphoreSlim _slots;

    public JobExecutor(WorkerDatabases databases, JobHandlerRegistry handlers, JobOutcomeDecider decider, WorkerMetrics metrics, WorkerOptions options, TimeProvider clock, ILogger<JobExecutor> logger)
    {
        _databases = databases;
        _handlers = handlers;
        _decider = decider;
        _metrics = metrics;
        _options = options;
        _clock = clock;
        _logger = logger;
        _slots = new SemaphoreSlim(options.MaxConcurrentJobs, options.MaxConcurrentJobs);
    }

    /// <param name="database">The <c>db</c> query parameter.</param>
    /// <param name="uuid">The <c>job_uuid</c> query parameter.</param>
    /// <param name="stopping">Cancelled when the worker shuts down (not when the caller hangs up).</param>
    public async Task<RunJobStatus> RunAsync(string database, string uuid, CancellationToken stopping)
    {
        if (!_slots.Wait(0))
        {
            _metrics.RequestRefused();
            WorkerLog.Busy(_logger, uuid, database, _options.MaxConcurrentJobs);
            return RunJobStatus.Busy;
        }

        try
        {
            return await RunAdmittedAsync(database, uuid, stopping);
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<RunJobStatus> RunAdmittedAsync(string database, string uuid, CancellationToken stopping)
    {
        var served = await _databases.FindAsync(database, stopping);
        if (served is null)
        {
            WorkerLog.DatabaseNotServed(_logger, uuid, database);
            return RunJobStatus.DatabaseNotServed;
        }

        var (connection, job) = await StartAsync(served, uuid, stopping);
        await using (connection)
        {
            if (job is null)
            {
                var labels = await WorkerJobStore.ReadLabelsAsync(connection, uuid, stopping);
                WorkerLog.NotEnqueued(_logger, uuid, database, labels.State ?? "none");
                _metrics.JobSkipped(labels.Channel, labels.Function);
                return RunJobStatus.Skipped;
            }

            // From here on the job is ours: a shutdown must reach the requeue below, not abandon the job
            // in started, so only the handler sees the stopping token.
            await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
            try
            {
                if (!await served.Store.HoldAsync(transaction, job, CancellationToken.None))
                {
                    return Lost(database, job, null, "its lock row is gone or the job is no longer started by this run (a rescue took it)", null);
                }
            }
            catch (NpgsqlException e)
            {
                return Lost(database, job, null, "its lock row could not be locked", e);
            }

            return await RunHandlerAsync(served, transaction, job, stopping);
        }
    }

    /// <summary>
    /// Takes the job; a connection that breaks before that (a pooled one from before a PostgreSQL
    /// restart, a terminated session) is replaced once by a fresh one.
    /// </summary>
    private async Task<(NpgsqlConnection Connection, StartedJob? Job)> StartAsync(ServedDatabase served, string uuid, CancellationToken stopping)
    {
        var connection = await served.DataSource.OpenConnectionAsync(stopping);
        try
        {
            return (connection, await served.Store.TryStartAsync(connection, uuid, _clock.GetUtcNow(), WorkerPid, stopping));
        }
        catch (NpgsqlException e) when (e is not PostgresException || e.IsTransient)
        {
            await connection.DisposeAsync();
            WorkerLog.StartRetried(_logger, uuid, served.Name, e.Message);
            // The other idle connections of the pool are likely dead too (a restart cuts them all).
            served.DataSource.Clear();
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        connection = await served.DataSource.OpenConnectionAsync(stopping);
        try
        {
            return (connection, await served.Store.TryStartAsync(connection, uuid, _clock.GetUtcNow(), WorkerPid, stopping));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async Task<RunJobStatus> RunHandlerAsync(ServedDatabase served, NpgsqlTransaction transaction, StartedJob job, CancellationToken stopping)
    {
        var database = served.Name;
        WorkerLog.JobStarted(_logger, job.Uuid, job.Function, database, job.Attempt);
        var function = _handlers.Find(job.Function);
        var started = _clock.GetTimestamp();
        JobOutcome? outcome = null; // stays null when the handler was cancelled
        Exception? error = null;
        var watch = LockSessionWatch.Start(transaction, _options.LockCheckInterval, _options.LockCheckTimeout, _clock);
        try
        {
            using var handlerCancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping, watch.Lost);
            using (_metrics.TrackRunning())
            {
                try
                {
                    outcome = function is null
                        ? _decider.Threw(new UnknownJobFunctionException(job.Function, _handlers.Names), job.Attempt, job.MaxRetries, null, _clock.GetUtcNow())
                        : JobOutcomeDecider.Succeeded(await function.Handler(Context(database, job), handlerCancellation.Token));
                }
                catch (OperationCanceledException) when (watch.IsLost || stopping.IsCancellationRequested)
                {
                    // Stopped on request: no outcome of its own (lost, or interrupted by shutdown below).
                }
#pragma warning disable CA1031 // Any exception a handler throws is the job's failure, recorded in the row.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    error = e;
                    outcome = _decider.Threw(e, job.Attempt, job.MaxRetries, function?.RetryPattern, _clock.GetUtcNow());
                }
            }
        }
        finally
        {
            // No check may be in flight when the run writes on the connection.
            await watch.DisposeAsync();
        }

        TimeSpan? ran = function is null ? null : _clock.GetElapsedTime(started);
        if (watch.IsLost)
        {
            // Whatever the handler returned: the job may be requeued already, this run writes nothing.
            return Lost(database, job, ran, "its lock session died or stopped answering", watch.Failure);
        }

        try
        {
            if (outcome is null)
            {
                if (!await served.Store.RequeueAsync(transaction, job, CancellationToken.None))
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                    return Lost(database, job, ran, "the job is no longer started by this run", null);
                }

                await transaction.CommitAsync(CancellationToken.None);
                WorkerLog.JobRequeuedOnShutdown(_logger, job.Uuid, database);
                return RunJobStatus.Interrupted;
            }

            // The outcome is written even while shutting down: the handler's work is finished.
            var released = await served.Store.FinishAsync(transaction, job, outcome, _clock.GetUtcNow(), CancellationToken.None);
            if (released is null)
            {
                await transaction.RollbackAsync(CancellationToken.None);
                return Lost(database, job, ran, "the job is no longer started by this run (rescued, then run again)", null);
            }

            await transaction.CommitAsync(CancellationToken.None);
            _metrics.JobFinished(job.Channel, job.Function, outcome.Label, ran);
            Log(database, job, outcome, ran, error, released.Count);
            return outcome is JobOutcome.Failed ? RunJobStatus.Failed : RunJobStatus.Ran;
        }
        catch (NpgsqlException e)
        {
            // The session died after the last check: nothing was committed, the rescue takes the job over.
            return Lost(database, job, ran, "its outcome could not be written", e);
        }
    }

    private RunJobStatus Lost(string database, StartedJob job, TimeSpan? ran, string reason, Exception? exception)
    {
        WorkerLog.RunLost(_logger, job.Uuid, job.Function, database, reason, exception);
        _metrics.JobFinished(job.Channel, job.Function, JobOutcomeLabels.Lost, ran);
        return RunJobStatus.Lost;
    }

    private static JobContext Context(string database, StartedJob job) =>
        new(database, job.Uuid, job.Function, job.Channel, job.ArgsJson, job.KwargsJson, job.Retry, job.MaxRetries);

    private void Log(string database, StartedJob job, JobOutcome outcome, TimeSpan? ran, Exception? error, int released)
    {
        switch (outcome)
        {
            case JobOutcome.Done:
                WorkerLog.JobDone(_logger, job.Uuid, job.Function, database, ran?.TotalSeconds ?? 0);
                break;
            case JobOutcome.Retry retry:
                WorkerLog.JobPostponed(_logger, job.Uuid, job.Function, database, retry.Eta, job.Attempt, retry.Message);
                break;
            case JobOutcome.Failed failed:
                WorkerLog.JobFailed(_logger, job.Uuid, job.Function, database, failed.ExceptionName, failed.ExceptionMessage, error);
                break;
        }

        if (released > 0)
        {
            WorkerLog.DependentsReleased(_logger, released, job.Uuid, database);
        }
    }
}

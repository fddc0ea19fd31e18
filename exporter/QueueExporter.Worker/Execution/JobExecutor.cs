using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.Worker.Handlers;
using QueueExporter.Worker.Storage;

namespace QueueExporter.Worker.Execution;

/// <summary>
/// Runs one job as Odoo's <c>/queue_job/runjob</c> controller does. Two transactions on one connection:
/// the first takes the row if it is still enqueued, marks it started, adds its queue_job_lock row and
/// commits (so everyone sees it started); the second locks that lock row for as long as the handler
/// runs (a runner probing with SKIP LOCKED sees a live job; if this process dies, the lock goes with
/// its connection and the job is found dead), then writes the outcome and releases dependent jobs.
/// </summary>
internal sealed class JobExecutor(
    WorkerDatabases databases,
    JobHandlerRegistry handlers,
    JobOutcomeDecider decider,
    WorkerMetrics metrics,
    TimeProvider clock,
    ILogger<JobExecutor> logger)
{
    private static readonly int WorkerPid = Environment.ProcessId;

    /// <param name="database">The <c>db</c> query parameter.</param>
    /// <param name="uuid">The <c>job_uuid</c> query parameter.</param>
    /// <param name="stopping">Cancelled when the worker shuts down (not when the caller hangs up).</param>
    public async Task<RunJobStatus> RunAsync(string database, string uuid, CancellationToken stopping)
    {
        var served = await databases.FindAsync(database, stopping);
        if (served is null)
        {
            WorkerLog.DatabaseNotServed(logger, uuid, database);
            return RunJobStatus.DatabaseNotServed;
        }

        await using var connection = await served.DataSource.OpenConnectionAsync(stopping);
        var job = await served.Store.TryStartAsync(connection, uuid, clock.GetUtcNow(), WorkerPid, stopping);
        if (job is null)
        {
            var labels = await WorkerJobStore.ReadLabelsAsync(connection, uuid, stopping);
            WorkerLog.NotEnqueued(logger, uuid, database, labels.State ?? "none");
            metrics.JobSkipped(labels.Channel, labels.Function);
            return RunJobStatus.Skipped;
        }

        // From here on the job is ours: a shutdown must reach the requeue below, not abandon the job
        // in started, so only the handler sees the stopping token.
        await using var transaction = await connection.BeginTransactionAsync(CancellationToken.None);
        await WorkerJobStore.HoldLockAsync(transaction, job, CancellationToken.None);
        WorkerLog.JobStarted(logger, uuid, job.Function, database, job.Attempt);

        var function = handlers.Find(job.Function);
        var started = clock.GetTimestamp();
        JobOutcome outcome;
        Exception? error = null;
        using (metrics.TrackRunning())
        {
            try
            {
                outcome = function is null
                    ? decider.Threw(new UnknownJobFunctionException(job.Function, handlers.Names), job.Attempt, job.MaxRetries, null, clock.GetUtcNow())
                    : JobOutcomeDecider.Succeeded(await function.Handler(Context(database, job), stopping));
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                await served.Store.RequeueAsync(transaction, job, CancellationToken.None);
                await transaction.CommitAsync(CancellationToken.None);
                WorkerLog.JobRequeuedOnShutdown(logger, uuid, database);
                return RunJobStatus.Interrupted;
            }
#pragma warning disable CA1031 // Any exception a handler throws is the job's failure, recorded in the row.
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = e;
                outcome = decider.Threw(e, job.Attempt, job.MaxRetries, function?.RetryPattern, clock.GetUtcNow());
            }
        }

        TimeSpan? ran = function is null ? null : clock.GetElapsedTime(started);
        // The outcome is written even while shutting down: the handler's work is finished.
        var released = await served.Store.FinishAsync(transaction, job, outcome, clock.GetUtcNow(), CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        metrics.JobFinished(job.Channel, job.Function, outcome.Label, ran);
        Log(database, job, outcome, ran, error, released.Count);
        return outcome is JobOutcome.Failed ? RunJobStatus.Failed : RunJobStatus.Ran;
    }

    private static JobContext Context(string database, StartedJob job) =>
        new(database, job.Uuid, job.Function, job.Channel, job.ArgsJson, job.KwargsJson, job.Retry, job.MaxRetries);

    private void Log(string database, StartedJob job, JobOutcome outcome, TimeSpan? ran, Exception? error, int released)
    {
        switch (outcome)
        {
            case JobOutcome.Done:
                WorkerLog.JobDone(logger, job.Uuid, job.Function, database, ran?.TotalSeconds ?? 0);
                break;
            case JobOutcome.Retry retry:
                WorkerLog.JobPostponed(logger, job.Uuid, job.Function, database, retry.Eta, job.Attempt, retry.Message);
                break;
            case JobOutcome.Failed failed:
                WorkerLog.JobFailed(logger, job.Uuid, job.Function, database, failed.ExceptionName, failed.ExceptionMessage, error);
                break;
        }

        if (released > 0)
        {
            WorkerLog.DependentsReleased(logger, released, job.Uuid, database);
        }
    }
}

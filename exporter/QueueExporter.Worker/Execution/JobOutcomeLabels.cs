namespace QueueExporter.Worker.Execution;

/// <summary>The values of the <c>outcome</c> label of <c>queue_worker_jobs_total</c>.</summary>
public static class JobOutcomeLabels
{
    /// <summary>The handler returned: the job is done.</summary>
    public const string Done = "done";

    /// <summary>The handler asked for a retry: the job is pending again with an eta.</summary>
    public const string Retry = "retry";

    /// <summary>The handler failed (or used up its retries): the job is failed.</summary>
    public const string Failed = "failed";

    /// <summary>The job was not enqueued any more (or did not exist): nothing was done.</summary>
    public const string Skipped = "skipped";

    /// <summary>
    /// The run lost its claim on the job (its lock session died, a rescue took the job, or the outcome
    /// could not be written): its handler was cancelled or its result dropped, nothing was written.
    /// </summary>
    public const string Lost = "lost";

    /// <summary>No handler is registered for the job's function: the job is failed.</summary>
    public const string UnknownFunction = "unknown_function";
}
